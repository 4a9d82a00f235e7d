/** A syntax error, with the character position. */
export class JsonSyntaxError extends Error {}

/**
 * A strict JSON reader for untrusted headers: objects become Maps (so a key like `__proto__` is just a
 * key), duplicate keys are errors (JSON.parse would silently keep the last), nesting is bounded.
 */
export class JsonReader {
  pos = 0;

  constructor(
    private readonly s: string,
    private readonly maxDepth = 16,
  ) {}

  fail(msg: string): never {
    throw new JsonSyntaxError(`${msg} at character ${this.pos}`);
  }

  ws(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      this.pos++;
    }
  }

  value(depth: number): unknown {
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth} levels`);
    this.ws();
    const c = this.s[this.pos];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.s.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    return this.fail(
      c === undefined ? 'unexpected end of the header' : `unexpected character ${JSON.stringify(c)}`,
    );
  }

  object(depth: number): Map<string, unknown> {
    const m = new Map<string, unknown>();
    this.pos++;
    this.ws();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return m;
    }
    for (;;) {
      this.ws();
      if (this.s[this.pos] !== '"') this.fail('expected a string key');
      const key = this.string();
      if (m.has(key)) this.fail(`duplicate key ${JSON.stringify(key)}`);
      this.ws();
      if (this.s[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      m.set(key, this.value(depth + 1));
      this.ws();
      const c = this.s[this.pos++];
      if (c === '}') return m;
      if (c !== ',') this.fail("expected ',' or '}'");
    }
  }

  array(depth: number): unknown[] {
    const a: unknown[] = [];
    this.pos++;
    this.ws();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return a;
    }
    for (;;) {
      a.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.pos++];
      if (c === ']') return a;
      if (c !== ',') this.fail("expected ',' or ']'");
    }
  }

  string(): string {
    const s = this.s;
    const start = this.pos;
    let escaped = false;
    for (let i = start + 1; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        this.pos = i + 1;
        const lit = s.slice(start, i + 1);
        return escaped ? (JSON.parse(lit) as string) : lit.slice(1, -1);
      }
      if (c < 0x20) {
        this.pos = i;
        this.fail('control character in a string');
      }
      if (c === 0x5c) {
        escaped = true;
        const e = s[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) {
            this.pos = i;
            this.fail('bad \\u escape');
          }
          i += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i++;
        } else {
          this.pos = i;
          this.fail('bad escape');
        }
      }
    }
    return this.fail('unterminated string');
  }

  number(): number {
    const re = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    re.lastIndex = this.pos;
    const m = re.exec(this.s);
    if (!m) return this.fail('bad number');
    this.pos += m[0].length;
    return Number(m[0]);
  }
}

/** Parses a whole JSON text strictly (see JsonReader); throws JsonSyntaxError. */
export function parseJsonStrict(text: string, maxDepth = 16): unknown {
  const r = new JsonReader(text, maxDepth);
  const v = r.value(0);
  r.ws();
  if (r.pos !== text.length) r.fail('unexpected text after the JSON value');
  return v;
}
