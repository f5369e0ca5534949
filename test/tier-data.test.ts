// Issue 26 item 15: tier data that disagreed with itself (100qps "managed DB 4C16G" beside a
// source that says "RDS PG 2C8G/4C8G (800 connections)"). Where a tier's source states the
// managed database, its managedDatabase is that database (the larger size where it gives two).
import { describe, expect, it } from 'vitest';
import { loadAllTiers } from '../src/core/data.js';

describe('tier data agrees with its own source', () => {
  // Only the tiers whose source states the RDS (50qps and 1000qps cite none): no skipped cases under CI.
  for (const tier of loadAllTiers()) {
    const stated = /RDS PG ((?:\d+C\d+G\/?)+) \(([\d,]+) connections\)/.exec(tier.source.text);
    if (!stated) continue;
    it(`${tier.name}: managedDatabase is the RDS its source names`, () => {
      const sizes = stated[1].split('/').map((s) => s.match(/(\d+)C(\d+)G/)!.slice(1).map(Number));
      const [cpus, memoryGiB] = sizes[sizes.length - 1];
      expect(tier.managedDatabase).toMatchObject({ cpus, memoryGiB, maxConnections: Number(stated[2].replace(/,/g, '')) });
    });
  }

  it('every tier the SAE matrix covers states its RDS (the test above is not vacuous)', () => {
    const covered = loadAllTiers().filter((t) => /RDS PG \d+C\d+G/.test(t.source.text));
    expect(covered.map((t) => t.name).sort()).toEqual(['100qps', '10qps', '200qps', '500qps']);
  });
});
