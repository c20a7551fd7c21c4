// Recognizes a command or option name among a few known ones without making a string: the dialect looks at every
// command of the stream, and most (SET k v, INCR, LPUSH...) need nothing, so the common answer must be cheap.

export class NameTable<N extends string> {
  private readonly byLength = new Map<number, Array<[Buffer, N]>>();

  constructor(names: readonly N[]) {
    for (const n of names) {
      const list = this.byLength.get(n.length) ?? this.byLength.set(n.length, []).get(n.length)!;
      list.push([Buffer.from(n, 'latin1'), n]);
    }
  }

  /** The known name arg spells (ASCII case-insensitive), or null. */
  lookup(arg: Buffer): N | null {
    const list = this.byLength.get(arg.length);
    if (!list) return null;
    for (const [lower, name] of list) if (equalsLower(arg, lower)) return name;
    return null;
  }
}

function equalsLower(arg: Buffer, lower: Buffer): boolean {
  for (let i = 0; i < arg.length; i++) {
    const c = arg[i];
    if ((c >= 65 && c <= 90 ? c | 0x20 : c) !== lower[i]) return false;
  }
  return true;
}
