// Names the README's examples use without defining them. test/package.test.js compiles every ts/js code block of
// README.md that uses the library; a new free name in an example is declared here.
declare function getToken(): Promise<string>
declare const output: { append(text: string): void }
declare const stopButton: { onclick: (() => void) | null }
declare const url: string
