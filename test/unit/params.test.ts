import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { param, Params, unsetIfEmpty } from '../../rpc/params';
import { InvalidParamsError } from '../../server/errors';

const sig = new Params({
  project_id: param.string(),
  wait_seconds: param.number(0, 110).default(25),
  limit: unsetIfEmpty(param.integer(1, 200)),
});

const refused = (raw: unknown, message: RegExp, kwargs?: Record<string, unknown>) =>
  assert.throws(
    () => sig.bind(raw, kwargs),
    (e: unknown) => e instanceof InvalidParamsError && message.test(e.message),
  );

describe('RPC param binding (zod schemas, Python-style binding)', () => {
  it('binds by position, by name, and kwargs onto positional args, applying defaults', () => {
    assert.deepEqual(sig.bind(['DOS1', 5, 3]), { project_id: 'DOS1', wait_seconds: 5, limit: 3 });
    assert.deepEqual(sig.bind({ project_id: 'DOS1' }), { project_id: 'DOS1', wait_seconds: 25 });
    assert.deepEqual(sig.bind(['DOS1'], { limit: 7 }), { project_id: 'DOS1', wait_seconds: 25, limit: 7 });
  });

  it('reads null as not given, and "" / 0 / false as unset where Odoo clients send them', () => {
    for (const p of [sig.bind(['DOS1', null, 0]), sig.bind({ project_id: 'DOS1', limit: '' }), sig.bind(['DOS1'], { limit: false })]) {
      assert.equal(p.wait_seconds, 25);
      assert.equal(p.limit, undefined);
    }
    refused([null], /^missing required param "project_id"$/);
  });

  it('names the param in every refusal', () => {
    refused({}, /^missing required param "project_id"$/);
    refused(['DOS1', 500], /^param "wait_seconds": expected a number from 0 to 110$/);
    refused(['DOS1', 1, 1.5], /^param "limit": expected an integer$/);
    refused([5], /^param "project_id": expected a string$/);
    refused({ project_id: 'x', colour: 'red' }, /^unknown param "colour" \(expected project_id, wait_seconds, limit\)$/);
    refused(['x'], /^param "project_id" given twice$/, { project_id: 'y' });
    refused(['a', 1, 2, 3], /^expected at most 3 positional params/);
    refused('x', /^params must be a list or an object$/);
  });
});
