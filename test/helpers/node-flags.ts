import { readFileSync } from 'node:fs';

/**
 * The Node options Arca's entry point asks for in its `#!/usr/bin/env -S node …` line, so the tests
 * and the bench start the server as the `arca` command and `npm start` do.
 */
export function nodeFlagsOf(main: string): string[] {
  const first = readFileSync(main, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node((?: --[\w-]+(?:=\S+)?)*)\s*$/.exec(first);
  if (!m) throw new Error(`${main}: first line is not "#!/usr/bin/env -S node [--flag…]": ${first}`);
  return m[1]!.trim().split(/\s+/).filter(Boolean);
}
