import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { likeMatch } from '../../server/odoo/sqlite-functions';

describe('likeMatch (Odoo like/ilike on the embedded SQLite)', () => {
  it('follows PostgreSQL LIKE: % any run, _ one character, backslash escapes', () => {
    const cases: Array<[string, string, boolean, boolean]> = [
      ['Demo Odoo', '%odoo', true, true],
      ['Demo Odoo', '%odoo', false, false],
      ['P10', 'P1', false, false],
      ['P10', 'P1_', false, true],
      ['a%b', 'a\\%b', false, true],
      ['axb', 'a\\%b', false, false],
      ['ÄRGER', 'ärger', true, true],
      ['', '%', false, true],
      ['abc', 'a%c%', false, true],
      ['abc', '_', false, false],
      ['R04/C', 'R04/_', false, true],
      ["Deur 'A' & B", "%'A'%", false, true],
    ];
    for (const [value, pattern, insensitive, expected] of cases) {
      assert.equal(likeMatch(value, pattern, insensitive), expected, `${value} ~ ${pattern} (${insensitive ? 'ilike' : 'like'})`);
    }
  });

  it('answers patterns that make a backtracking RegExp explode (they stalled the process before)', () => {
    assert.equal(likeMatch('x'.repeat(48), '%_%_%_%_%_%_%_%_%!', true), false);
    assert.equal(likeMatch('a'.repeat(5000), '%a'.repeat(200) + '%b', false), false);
    assert.equal(likeMatch('a'.repeat(5000) + 'b', '%a'.repeat(200) + '%b', false), true);
  });
});
