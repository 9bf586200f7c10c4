// Node's flags for a report: the process's command line, then NODE_OPTIONS split as Node splits it.
// Node separates NODE_OPTIONS at spaces only; a double quote starts or ends a quoted stretch (so a
// path may hold spaces), and inside one a backslash takes the next character as it is. Split at any
// whitespace instead, `--require "/a b/x.cjs"` read as three flags.

/** NODE_OPTIONS split into arguments by Node's rules; a malformed value yields what Node would have read of it. */
export function splitNodeOptions(text: string): string[] {
  const args: string[] = [];
  let quoted = false;
  let startsNew = true;
  for (let i = 0; i < text.length; i++) {
    let c = text[i] as string;
    if (c === '\\' && quoted) {
      // Node refuses a trailing escape; what came before it is what it had read.
      if (i + 1 === text.length) break;
      c = text[++i] as string;
    } else if (c === ' ' && !quoted) {
      startsNew = true;
      continue;
    } else if (c === '"') {
      quoted = !quoted;
      continue;
    }
    if (startsNew) args.push(c);
    else args[args.length - 1] += c;
    startsNew = false;
  }
  return args;
}

/** Node's flags for this process: its command line, then NODE_OPTIONS. */
export function nodeFlags(): string[] {
  return [...process.execArgv, ...splitNodeOptions(process.env['NODE_OPTIONS'] ?? '')];
}
