// The CLI's pure parts in-process: argument parsing, encodings, byte and key formatting, the
// progress line and when it is drawn.

import test = require('tape')
import { parseArgs } from '../../lib/cli/args'
import { type Command, EXIT_OK } from '../../lib/cli/command'
import { decodeArgument, formatJson, formatText } from '../../lib/cli/encoding'
import { escapeBytes, formatDuration, formatSize } from '../../lib/cli/human'
import { Progress, formatProgress } from '../../lib/cli/progress'

const command: Command = {
  name: 'demo',
  summary: 'a command for tests',
  positionals: ['<dir>', '[key]'],
  options: [
    { name: 'flag', type: 'flag', description: 'a flag' },
    { name: 'name', type: 'string', description: 'a string' },
    { name: 'n', type: 'integer', description: 'a number' }
  ],
  run: async () => EXIT_OK
}

function usage (argv: string[]): string {
  try {
    parseArgs(command, argv)
    return 'accepted'
  } catch (err) {
    return `${(err as { code?: string }).code}: ${(err as Error).message}`
  }
}

test('args: values as the next argument or after =, flags, -- ends options', (t) => {
  const a = parseArgs(command, ['dir', '--name', 'x', '--n=12', '--flag'])
  t.same(a.positionals, ['dir'], 'positionals')
  t.same([...a.options], [['name', 'x'], ['n', 12], ['flag', true]], 'options typed')
  t.same(parseArgs(command, ['dir', '--', '--flag']).positionals, ['dir', '--flag'], 'after --, an option-like argument is positional')
  t.same(parseArgs(command, ['dir', '-x']).positionals, ['dir', '-x'], 'a single dash is a positional (keys may start with -)')
  t.same(parseArgs(command, ['dir', '--name=']).options.get('name'), '', '--name= gives an empty value')
  t.same(parseArgs(command, ['--help']).options.get('help'), true, '--help needs no positionals')
  t.end()
})

test('args: every mistake is a LEVEL_INVALID_VALUE usage error', (t) => {
  t.is(usage([]), 'LEVEL_INVALID_VALUE: demo: missing <dir>', 'missing required positional')
  t.is(usage(['a', 'b', 'c']), "LEVEL_INVALID_VALUE: demo: unexpected argument 'c'", 'one too many')
  t.is(usage(['a', '--nope']), 'LEVEL_INVALID_VALUE: demo: unknown option --nope', 'unknown option')
  t.is(usage(['a', '--name']), 'LEVEL_INVALID_VALUE: demo: --name needs a value', 'value missing at the end')
  t.is(usage(['a', '--flag=1']), 'LEVEL_INVALID_VALUE: demo: --flag takes no value', 'a flag with a value')
  t.is(usage(['a', '--n', '-1']), "LEVEL_INVALID_VALUE: demo: --n must be a non-negative integer, not '-1'", 'negative integer')
  t.is(usage(['a', '--n', '1.5']), "LEVEL_INVALID_VALUE: demo: --n must be a non-negative integer, not '1.5'", 'fraction')
  t.is(usage(['a', '--n', '99999999999999999999']), "LEVEL_INVALID_VALUE: demo: --n must be a non-negative integer, not '99999999999999999999'", 'past 2^53')
  t.end()
})

test('encodings: arguments decode and bytes format, both ways, and refuse what they cannot hold', (t) => {
  const bytes = Buffer.from([0, 1, 0xfe, 0xff])
  t.same(decodeArgument('0001feff', 'hex', 'key'), bytes, 'hex in')
  t.is(formatText(bytes, 'hex', 'key'), '0001feff', 'hex out')
  t.same(decodeArgument('AAH+/w==', 'base64', 'key'), bytes, 'base64 in')
  t.is(formatText(bytes, 'base64', 'key'), 'AAH+/w==', 'base64 out')
  t.same(decodeArgument('', 'hex', 'key'), Buffer.alloc(0), 'the empty key in hex')
  t.same(decodeArgument('héllo', 'utf8', 'key'), Buffer.from('héllo'), 'utf8 in')
  t.same(decodeArgument(' { "b" : [1, 2] } ', 'json', 'key'), Buffer.from('{"b":[1,2]}'), 'json in: parsed and re-serialised')
  t.same(formatJson(Buffer.from('{"b":[1,2]}'), 'json', 'value'), { b: [1, 2] }, 'json out: the value itself')
  t.is(formatText(Buffer.from('{"b":[1,2]}'), 'json', 'value'), '{"b":[1,2]}', 'json text out')
  t.is(formatText(Buffer.from([0xff]), 'utf8', 'value'), '\ufffd', 'utf8 out of non-UTF-8 bytes: replacement character')
  for (const [text, encoding] of [['abc', 'hex'], ['0g', 'hex'], ['AAH', 'base64'], ['A===', 'base64'], ['{', 'json']] as const) {
    t.throws(() => decodeArgument(text, encoding, 'key'), /not (hex|base64|JSON)/, `'${text}' is not ${encoding}`)
  }
  t.throws(() => formatText(Buffer.from('not json'), 'json', 'value'), /not JSON \(choose another --value-encoding\)/, 'a stored value that is not JSON')
  t.end()
})

test('formatting: sizes, durations, escaped bytes', (t) => {
  t.is(formatSize(0), '0 B', '0')
  t.is(formatSize(1023), '1023 B', 'below a KiB')
  t.is(formatSize(1536), '1.5 KiB', 'KiB')
  t.is(formatSize(200 * 1024 * 1024), '200.0 MiB', 'MiB')
  t.is(formatSize(3 * 1024 ** 4), '3.0 TiB', 'TiB')
  t.is(formatDuration(0), '0:00', 'zero')
  t.is(formatDuration(61_400), '1:01', 'rounded to seconds')
  t.is(formatDuration(3_725_000), '1:02:05', 'hours')
  t.is(escapeBytes(Buffer.from('a b\\')), 'a b\\\\', 'printable kept, backslash doubled')
  t.is(escapeBytes(Buffer.from([0, 0x7f, 0x80, 0x0a])), '\\x00\\x7f\\x80\\x0a', 'the rest as \\xNN')
  t.end()
})

test('progress line: bar, bytes, percent and ETA; unknown totals show bytes and elapsed', (t) => {
  t.is(formatProgress({ label: 'verify', done: 25 * 1024 * 1024, total: 100 * 1024 * 1024, elapsedMs: 10_000 }),
    'verify [######------------------] 25.0 MiB / 100.0 MiB  25% ETA 0:30', 'a quarter after 10 s: 30 s to go')
  t.is(formatProgress({ label: 'dump', done: 0, total: 1000, elapsedMs: 0 }),
    'dump [------------------------] 0 B / 1000 B   0% ETA -:--', 'nothing done yet: no ETA')
  t.is(formatProgress({ label: 'dump', done: 2000, total: 1000, elapsedMs: 5000 }),
    'dump [########################] 1000 B / 1000 B 100% ETA 0:00', 'done past the total is clamped')
  t.is(formatProgress({ label: 'repair', done: 0, total: undefined, elapsedMs: 4000 }), 'repair 0:04 elapsed', 'unknown total, no bytes')
  t.is(formatProgress({ label: 'compact', done: 3 * 1024 * 1024, total: undefined, elapsedMs: 4000 }), 'compact 3.0 MiB 0:04 elapsed', 'unknown total, bytes written')
  t.end()
})

function fakeStream (isTTY: boolean): { isTTY: boolean, columns: number, written: string[], write: (text: string) => boolean } {
  const written: string[] = []
  return { isTTY, columns: 200, written, write: (text: string) => { written.push(text); return true } }
}

test('progress: drawn in place on a terminal at most every 100 ms, erased at the end; nothing elsewhere', (t) => {
  let now = 1000
  const tty = fakeStream(true)
  const progress = new Progress('verify', 1000, tty, () => now)
  t.is(tty.written.length, 1, 'drawn at once')
  progress.update(100)
  t.is(tty.written.length, 1, 'not redrawn within 100 ms')
  now += 150
  progress.update(500)
  t.is(tty.written.length, 2, 'redrawn after 100 ms')
  t.ok(tty.written[1].startsWith('\r') && tty.written[1].includes(' 50% ') && tty.written[1].endsWith('\x1b[K'), 'in place: carriage return, line, erase to the end')
  progress.finish()
  t.ok(tty.written[tty.written.length - 2].includes('100%'), 'the final state is drawn')
  t.is(tty.written[tty.written.length - 1], '\r\x1b[K', 'then the line is erased')
  progress.finish()
  t.is(tty.written.length, 4, 'finish twice draws nothing more')

  const narrow = fakeStream(true)
  narrow.columns = 30
  const cut = new Progress('checkpoint', 10, narrow)
  cut.finish()
  t.ok(narrow.written.every((w) => w.replace(/\r|\x1b\[K/g, '').length < 30), 'lines are cut to the terminal width')

  const pipe = fakeStream(false)
  const quiet = new Progress('verify', 1000, pipe, () => now)
  quiet.update(500)
  now += 1000
  quiet.update(900)
  quiet.finish()
  t.same(pipe.written, [], 'not a terminal: nothing at all')
  t.notOk(quiet.enabled, 'and it says so, so that work done only for the bar is skipped')
  t.end()
})
