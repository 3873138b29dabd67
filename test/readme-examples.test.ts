// Every js, mjs and ts code block of README.md runs as written, as a user would run it: in a
// directory of its own where node_modules/lsm-level is a symlink to this package, so that
// 'lsm-level' resolves through package.json's exports like an installed copy. js blocks run as
// CommonJS (.js, no "type" field), mjs blocks as ES modules; ts blocks are compiled as .mts
// with the repository's tsc (strict, nodenext, library types checked too) and then run.
// A block preceded by the line <!-- not-runnable --> is left out; other languages are not run.

import test = require('tape')
import { spawnSync } from 'child_process'
import * as fs from 'fs'
import * as path from 'path'
import { tempLocation } from './support/temp'

const PACKAGE_ROOT = path.join(__dirname, '..', '..')
const README = path.join(PACKAGE_ROOT, 'README.md')
const TSC = path.join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
const NOT_RUNNABLE = '<!-- not-runnable -->'
const RUNNABLE = new Set(['js', 'mjs', 'ts'])

interface Block {
  language: string
  code: string
  /** 1-based line of the opening fence. */
  line: number
}

/** The fenced blocks of `markdown` in a runnable language and not marked otherwise. */
function runnableBlocks (markdown: string): Block[] {
  const lines = markdown.split('\n')
  const blocks: Block[] = []
  let previous = ''
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)```(\S*)\s*$/.exec(lines[i])
    if (open === null) {
      if (lines[i].trim() !== '') previous = lines[i].trim()
      continue
    }
    const indent = open[1].length
    const body: string[] = []
    let j = i + 1
    while (j < lines.length && !/^ *```\s*$/.test(lines[j])) body.push(lines[j++].slice(indent))
    if (RUNNABLE.has(open[2]) && previous !== NOT_RUNNABLE) {
      blocks.push({ language: open[2], code: body.join('\n') + '\n', line: i + 1 })
    }
    previous = ''
    i = j
  }
  return blocks
}

/** A directory holding only node_modules/lsm-level, a symlink to this package. */
function project (): string {
  const dir = tempLocation('readme-example')
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true })
  fs.symlinkSync(PACKAGE_ROOT, path.join(dir, 'node_modules', 'lsm-level'), 'dir')
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ private: true }) + '\n')
  return dir
}

function output (result: { stdout: string, stderr: string, error?: Error }): string {
  return `${result.error?.message ?? ''}${result.stdout}${result.stderr}`.trim()
}

/** Writes the block into its own project and returns the file for node to run. */
function prepare (t: test.Test, block: Block): string | undefined {
  const dir = project()
  if (block.language !== 'ts') {
    const file = path.join(dir, block.language === 'js' ? 'example.js' : 'example.mjs')
    fs.writeFileSync(file, block.code)
    return file
  }
  fs.writeFileSync(path.join(dir, 'example.mts'), block.code)
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'nodenext',
      strict: true,
      // The package's and abstract-level's declarations are checked as a user's tsc would.
      skipLibCheck: false,
      typeRoots: [path.join(PACKAGE_ROOT, 'node_modules', '@types')],
      types: ['node'],
      outDir: 'out'
    },
    files: ['example.mts']
  }, null, 2))
  const compiled = spawnSync(process.execPath, [TSC, '-p', dir], { cwd: dir, encoding: 'utf8', timeout: 120_000 })
  t.is(compiled.status, 0, `README.md:${block.line} (ts) compiles`)
  if (compiled.status !== 0) {
    t.comment(output(compiled))
    return undefined
  }
  return path.join(dir, 'out', 'example.mjs')
}

const blocks = runnableBlocks(fs.readFileSync(README, 'utf8'))

test('README.md has runnable js, mjs and ts examples', (t) => {
  for (const language of RUNNABLE) {
    t.ok(blocks.some((block) => block.language === language), `a ${language} block`)
  }
  t.end()
})

for (const block of blocks) {
  test(`README.md:${block.line} (${block.language}) runs`, (t) => {
    const file = prepare(t, block)
    if (file === undefined) {
      t.end()
      return
    }
    const result = spawnSync(process.execPath, [file], { cwd: path.dirname(file), encoding: 'utf8', timeout: 60_000 })
    t.is(result.status, 0, 'exits with code 0')
    if (result.status !== 0) t.comment(output(result))
    else t.comment(result.stdout.trim().split('\n').join(' | '))
    t.end()
  })
}
