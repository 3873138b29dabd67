'use strict'
// The package.json that goes into the tarball, without the `prepare` script.
//
// `prepare` builds dist/ where there is none: `npm install` and `npm ci` in a checkout, and a
// git dependency (npm installs its devDependencies and runs `prepare` before packing it). A
// tarball already holds dist/, and npm lists a tarball's or a git package's `prepare` among
// the install scripts for the user to review (npm 11: "install scripts not yet covered by
// allowScripts"), so the packed manifest leaves it out.
//
// `npm pack` and `npm publish` run prepack (`strip`: package.json is rewritten without
// `prepare`, the original kept as package.json.before-pack), then tar the directory, then
// postpack (`restore`). A pack that died in between leaves the copy; the next `strip` or
// `restore` puts it back first. `npm publish` sends the registry the manifest it re-reads
// after postpack, so that one names `prepare`; npm never runs `prepare` of a registry package.
//
// Usage: node tools/pack-manifest.js strip|restore

const fs = require('fs')
const path = require('path')

const manifest = path.join(__dirname, '..', 'package.json')
const saved = `${manifest}.before-pack`

function restore () {
  if (fs.existsSync(saved)) fs.renameSync(saved, manifest)
}

function strip () {
  restore()
  const text = fs.readFileSync(manifest, 'utf8')
  const pkg = JSON.parse(text)
  if (pkg.scripts === undefined || pkg.scripts.prepare === undefined) return
  fs.writeFileSync(saved, text)
  delete pkg.scripts.prepare
  fs.writeFileSync(manifest, JSON.stringify(pkg, null, 2) + '\n')
}

const command = process.argv[2]
if (command === 'strip') strip()
else if (command === 'restore') restore()
else {
  console.error('Usage: node tools/pack-manifest.js strip|restore')
  process.exitCode = 2
}
