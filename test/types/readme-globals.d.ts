// Names the README's examples use without defining them. test/package.test.js compiles every ts/js code block of
// README.md that uses the library; a new free name in an example is declared here.
declare function getToken(): Promise<string>
declare const output: { append(text: string): void }
declare function render(text: string): void
declare const stopButton: { onclick: (() => void) | null }
declare const url: string

// The README's Playwright example: just the part of @playwright/test it uses (the package is not installed here).
declare module '@playwright/test' {
  interface Page {
    goto(url: string): Promise<unknown>
    evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>
  }
  export const test: {
    (name: string, fn: (fixtures: { page: Page }) => Promise<void>): void
    afterAll(fn: () => Promise<void>): void
  }
  export function expect(value: unknown): { toEqual(expected: unknown): void }
}
