import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LIKE_CACHE_BYTES, likeCacheBytes, likeMatch, PatternCache } from '../../server/odoo/sqlite-functions';

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

  it('keeps compiled patterns within a byte budget, least recently used out first', () => {
    const cache = new PatternCache(200_000);
    const pattern = (i: number) => `${String(i).padStart(6, '0')}%${'x'.repeat(993)}`;
    const compiled = Array.from({ length: 1000 }, (_, i) => cache.tokens(pattern(i), true));
    assert.ok(cache.bytes <= cache.maxBytes, `${cache.bytes} bytes held`);
    assert.ok(cache.size > 1 && cache.size < 1000, `${cache.size} patterns held`);
    // A hit hands back the same compiled tokens and makes the pattern the most recently used:
    // the next insertion evicts the oldest other pattern instead.
    const oldest = 1000 - cache.size;
    assert.equal(cache.tokens(pattern(oldest), true), compiled[oldest], 'a hit');
    cache.tokens(pattern(5000), true);
    assert.equal(cache.tokens(pattern(oldest), true), compiled[oldest], 'the recently used pattern stayed');
    assert.notEqual(cache.tokens(pattern(oldest + 1), true), compiled[oldest + 1], 'the least recently used one went');
    // A pattern larger than the whole budget is compiled for its call and never kept.
    const sizeBefore = cache.size;
    assert.equal(cache.tokens('y'.repeat(300_000), false).length, 300_000);
    assert.equal(cache.size, sizeBefore);
  });

  it('the matcher cache stays bounded however many distinct long patterns arrive', () => {
    for (let i = 0; i < 300; i++) likeMatch('value', `%${i}${'z'.repeat(50_000)}%`, i % 2 === 0);
    assert.ok(likeCacheBytes() <= LIKE_CACHE_BYTES, `${likeCacheBytes()} bytes held`);
  });
});
