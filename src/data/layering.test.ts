import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

// The compiled test runs from dist/src/data/; the sources are three levels up.
const srcDir = new URL('../../../src/data/', import.meta.url);

describe('src/data layering', () => {
  it('imports only from util, tensor and itself, and nothing Node-only (it must run in a browser)', () => {
    const files = readdirSync(srcDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    assert.ok(files.length > 5);
    for (const f of files) {
      const text = readFileSync(new URL(f, srcDir), 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
        const spec = m[1];
        const ok = spec.startsWith('./') || spec.startsWith('../util/') || spec.startsWith('../tensor/');
        assert.ok(ok, `${f} imports ${spec}; src/data may import only ./, ../util/ and ../tensor/`);
      }
      assert.doesNotMatch(text, /\bimport\(|require\(|node:/, `${f} must not load Node modules`);
    }
  });
});
