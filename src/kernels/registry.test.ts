import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackendError } from '../util/errors.js';
import { backendAvailable, getBackend, kernels, setBackend, withBackend } from './registry.js';

describe('backend registry', () => {
  it('withBackend selects a backend for one call and restores the previous one, also on a throw', () => {
    const start = getBackend();
    const other = start === 'ts' && backendAvailable('wasm') ? 'wasm' : 'ts';
    assert.equal(
      withBackend(other, () => getBackend()),
      other,
    );
    assert.equal(getBackend(), start);
    assert.throws(
      () =>
        withBackend(other, () => {
          throw new RangeError('inside');
        }),
      RangeError,
    );
    assert.equal(getBackend(), start);
    assert.equal(
      withBackend('ts', () => withBackend(other, () => kernels().name)),
      other,
      'nested',
    );
    assert.equal(getBackend(), start);
  });

  it('backendAvailable: ts always; an unknown name is not; setBackend names what it got', () => {
    assert.equal(backendAvailable('ts'), true);
    assert.equal(backendAvailable('gpu' as 'ts'), false);
    assert.throws(
      () => setBackend('gpu' as 'ts'),
      (e: unknown) => e instanceof BackendError && /got "gpu"/.test(e.message),
    );
    assert.throws(() => withBackend('gpu' as 'ts', () => 1), BackendError);
  });
});
