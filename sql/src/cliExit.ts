// How sql/'s command-line tools end: main's exit code, or 1 with "<what> failed: <reason>" for
// an error main did not turn into a message itself.
export function runCli(main: (argv: string[]) => Promise<number>, what: string): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(`${what} failed: ${err.message}`);
      process.exit(1);
    },
  );
}
