'use strict'
// Runs every compiled test file (dist/test/**/*.test.js) in its own process, two at a time,
// and prints one closing line "N passed, N failed" summed over tape's "# pass"/"# fail" counts.
// Only compiled tests whose test/**/*.test.ts source still exists run: tsc never deletes the
// output of a deleted or moved source, and such a leftover would test stale code.
// Usage: node test/run.js [substring filter...]

const { spawn } = require('child_process')
const fs = require('fs')
const path = require('path')

const root = path.join(__dirname, '..', 'dist', 'test')
const filters = process.argv.slice(2)
const files = []
const stale = []
;(function walk (dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) walk(full)
    else if (entry.name.endsWith('.test.js')) {
      const source = path.join(__dirname, path.relative(root, full)).replace(/\.js$/, '.ts')
      if (fs.existsSync(source)) files.push(full)
      else stale.push(path.relative(root, full))
    }
  }
})(root)
if (stale.length > 0) console.log(`skipped, no source: ${stale.join(', ')}`)
files.sort()
const selected = files.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))

let passed = 0
let failed = 0
const failures = []
const concurrency = Number(process.env.TEST_CONCURRENCY || 2)

function runOne (file) {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(process.execPath, ['--expose-gc', file], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { out += d })
    child.on('close', (code, signal) => {
      const pass = Number((out.match(/^# pass\s+(\d+)/m) || [])[1] || 0)
      const fail = Number((out.match(/^# fail\s+(\d+)/m) || [])[1] || 0)
      passed += pass
      failed += fail
      const ok = code === 0 && fail === 0
      const name = path.relative(root, file)
      if (!ok) {
        failures.push(name)
        if (fail === 0) failed += 1 // a crash or non-zero exit counts as a failure
        const notOk = out.split('\n').filter((l) => /^not ok|^\s+(operator|expected|actual|at|stack|message):|Error/.test(l)).slice(0, 60)
        console.log(`FAIL ${name} (exit ${code}${signal ? ' ' + signal : ''})\n${notOk.join('\n') || out.slice(-3000)}`)
      } else {
        console.log(`ok   ${name}: ${pass} assertions, ${((Date.now() - started) / 1000).toFixed(1)} s`)
      }
      resolve()
    })
  })
}

async function main () {
  const queue = selected.slice()
  const workers = Array.from({ length: concurrency }, async () => {
    while (queue.length > 0) await runOne(queue.shift())
  })
  await Promise.all(workers)
  if (failures.length > 0) console.log(`failed files: ${failures.join(', ')}`)
  console.log(`${passed} passed, ${failed} failed`)
  process.exitCode = failed > 0 || selected.length === 0 ? 1 : 0
}

main()
