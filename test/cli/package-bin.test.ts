// The command is installed the way npm installs it: package.json's `bin` names a plain
// JavaScript file that the package ships (listed by `files`), with a shebang, executable, and
// working through the symlink npm puts in node_modules/.bin, with no build step.

import test = require('tape')
import { spawnSync } from 'child_process'
import * as fs from 'fs'
import * as path from 'path'
import { tempLocation } from '../support/temp'
import { PACKAGE_ROOT } from './support/cli'

const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8'))

test('package.json bin: a shipped, executable JavaScript file', (t) => {
  const bin = pkg.bin?.['lsm-level']
  t.is(typeof bin, 'string', 'bin names lsm-level')
  const file = path.join(PACKAGE_ROOT, bin)
  t.ok(fs.readFileSync(file, 'utf8').startsWith('#!/usr/bin/env node\n'), 'starts with a node shebang')
  t.ok((fs.statSync(file).mode & 0o111) !== 0, 'is executable')
  const npm = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: PACKAGE_ROOT, encoding: 'utf8', timeout: 60_000 })
  t.is(npm.status, 0, 'npm pack --dry-run lists the package')
  const files: string[] = JSON.parse(npm.stdout)[0].files.map((f: { path: string }) => f.path)
  t.ok(files.includes(bin), `the tarball holds ${bin}`)
  t.ok(files.includes('dist/lib/cli/main.js'), 'and the compiled CLI it requires')
  t.notOk(files.some((f) => f.startsWith('lib/') && f !== bin), 'and no TypeScript sources')
  t.end()
})

test('run through a node_modules/.bin symlink, as npx runs it', (t) => {
  const project = tempLocation('cli-npx')
  fs.mkdirSync(path.join(project, 'node_modules', '.bin'), { recursive: true })
  fs.symlinkSync(PACKAGE_ROOT, path.join(project, 'node_modules', 'lsm-level'), 'dir')
  const link = path.join(project, 'node_modules', '.bin', 'lsm-level')
  fs.symlinkSync(path.join('..', 'lsm-level', pkg.bin['lsm-level']), link)
  const run = spawnSync(link, ['--help'], { cwd: project, encoding: 'utf8', timeout: 30_000 })
  t.is(run.status, 0, 'exit 0')
  t.ok(run.stdout.startsWith('Usage: lsm-level <command>'), 'prints the help')
  t.end()
})
