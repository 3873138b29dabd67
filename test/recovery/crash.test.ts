// Crash safety: a child process writes (test/support/crash-writer.ts) and is killed with
// SIGKILL at a random moment; the parent reopens the directory and checks that
//   - every acknowledged write is there with its value,
//   - no batch is partly visible,
//   - the visible state is exactly the plan's first M ops for some M: writes apply in call
//     order, so a visible write implies every earlier one (never a hole), and the counter key
//     holds the newest visible counter write (>= the last acknowledged one).
// A small writeBufferSize with values of up to several KiB makes memtable switches and
// flushes happen many times a second, so kills land during flushes too.

import test = require('tape')
import * as fs from 'fs'
import * as path from 'path'
import { spawn } from 'child_process'
import { LsmLevel } from '../../index'
import { tempLocation } from '../support/temp'
import { Plan, prng, applyOp, idOf, COUNTER_KEY, BATCH_KEYS, type PlanOp, type WriterArgs } from '../support/crash-plan'

const WRITER = path.join(__dirname, '..', 'support', 'crash-writer.js')
const SMALL_BUFFER = 64 * 1024

type ChildArgs = WriterArgs

interface ChildRun {
  acks: number[]
  ready: boolean
  signal: NodeJS.Signals | null
  code: number | null
  errors: string[]
}

/**
 * Runs the writer and SIGKILLs it `delay` ms after it printed `after` ('opening': possibly
 * during recovery, 'ready': while writing).
 */
function runAndKill (args: ChildArgs, after: 'opening' | 'ready', delay: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] })
    const run: ChildRun = { acks: [], ready: false, signal: null, code: null, errors: [] }
    let buffered = ''
    let armed = false
    const arm = (): void => {
      if (armed) return
      armed = true
      setTimeout(() => child.kill('SIGKILL'), delay)
    }
    // A killed child's end of the stdio socket pair may report ECONNRESET: the data read
    // before that is all there is.
    child.stdout.on('error', () => {})
    child.stderr.on('error', () => {})
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk
      const lines = buffered.split('\n')
      buffered = lines.pop() as string
      for (const line of lines) {
        if (line.startsWith('ack ')) run.acks.push(Number(line.slice(4)))
        else if (line === 'ready') {
          run.ready = true
          if (after === 'ready') arm()
        } else if (line === 'opening') {
          if (after === 'opening') arm()
        } else if (line.length > 0) run.errors.push(line)
      }
    })
    let stderr = ''
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (d: string) => { stderr += d })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      run.code = code
      run.signal = signal
      if (stderr.trim().length > 0) run.errors.push(`stderr: ${stderr.trim().slice(0, 2000)}`)
      resolve(run)
    })
  })
}

// How far past the newest op a value names the visible prefix may reach (see verify).
const EVIDENCE_WINDOW = 64

function keysOf (op: PlanOp): string[] {
  switch (op.kind) {
    case 'put': case 'del': return [op.key]
    case 'counter': return [COUNTER_KEY]
    case 'batch': return op.keys
  }
}

interface Verified {
  /** The visible prefix: ops [0, M) of the plan are exactly what the database holds. */
  prefix: number
}

function describeFiles (location: string): { logs: number, tables: number } {
  const names = fs.readdirSync(location)
  return {
    logs: names.filter((n) => n.endsWith('.log')).length,
    tables: names.filter((n) => n.endsWith('.ldb') || n.endsWith('.sst')).length
  }
}

/** Reopens `location` and checks it against the plan; see the header. */
async function verify (t: test.Test, location: string, plan: Plan, acks: number[], label: string): Promise<Verified> {
  const db = new LsmLevel<string, string>(location, { writeBufferSize: SMALL_BUFFER })
  await db.open()
  try {
    const actual = new Map<string, string>()
    for await (const [key, value] of db.iterator()) actual.set(key, value)

    // The ops the database gives evidence of: every value names the op that wrote it.
    let evident = -1
    let malformed = 0
    for (const value of actual.values()) {
      const id = idOf(value)
      if (Number.isNaN(id)) malformed++
      else if (id > evident) evident = id
    }
    t.equal(malformed, 0, `${label}: every value is one the plan wrote`)

    // The model after ops [0, evident]. Ops after it can leave no value behind: a plain
    // delete, or a put whose key a later delete removes again (op 1083 puts s1083, op 1084
    // deletes it). So the prefix is the longest one, up to EVIDENCE_WINDOW ops past the
    // evident one, whose model agrees with the database on every key those ops touch.
    let model = new Map<string, string>()
    let prefix = 0
    for (; prefix <= evident; prefix++) applyOp(model, plan.get(prefix))
    const trial = new Map(model)
    const touched = new Set<string>()
    for (let m = prefix; m < evident + 1 + EVIDENCE_WINDOW; m++) {
      const op = plan.get(m)
      applyOp(trial, op)
      for (const key of keysOf(op)) touched.add(key)
      if ([...touched].every((key) => trial.get(key) === actual.get(key))) {
        model = new Map(trial)
        prefix = m + 1
      }
    }

    const problems: string[] = []
    for (const [key, value] of model) {
      const got = actual.get(key)
      if (got !== value) problems.push(`${key}: expected op ${idOf(value)}, got ${got === undefined ? 'nothing' : `op ${idOf(got)}${got === value ? '' : ' (or a different value)'}`}`)
    }
    for (const [key, value] of actual) {
      if (!model.has(key)) problems.push(`${key}: unexpected, holds op ${idOf(value)}`)
    }
    t.deepEqual(problems.slice(0, 10), [], `${label}: the state is exactly the first ${prefix} ops of the plan (no holes, nothing reordered)`)

    // Acknowledged writes.
    const maxAck = acks.reduce((max, id) => id > max ? id : max, -1)
    t.ok(maxAck < prefix, `${label}: all ${acks.length} acknowledged writes are visible (newest acknowledged op ${maxAck}, visible prefix ${prefix})`)

    // Batches: all ten keys with one value, or none. (Implied by the exact match; explicit here.)
    const partial: string[] = []
    for (let id = 0; id < prefix + 200; id++) {
      const op = plan.get(id)
      if (op.kind !== 'batch') continue
      const values = op.keys.map((key) => actual.get(key))
      const present = values.filter((v) => v !== undefined)
      if (present.length !== 0 && (present.length !== BATCH_KEYS || present.some((v) => v !== values[0]))) {
        partial.push(`batch ${id}: ${present.length} of ${BATCH_KEYS} keys`)
      }
    }
    t.deepEqual(partial, [], `${label}: no batch is partly visible`)

    // The counter: never older than the last acknowledged counter write.
    let lastCounterAck = -1
    for (const id of acks) if (plan.get(id).kind === 'counter' && id > lastCounterAck) lastCounterAck = id
    const counter = actual.get(COUNTER_KEY)
    const counterId = counter === undefined ? -1 : idOf(counter)
    t.ok(counterId >= lastCounterAck, `${label}: counter holds op ${counterId} >= last acknowledged counter op ${lastCounterAck}`)

    // Point reads (memtable, bloom filters, table index) agree with the iterator.
    const keys = [...model.keys()]
    const got = await db.getMany(keys)
    let wrong = 0
    for (let i = 0; i < keys.length; i++) if (got[i] !== model.get(keys[i])) wrong++
    const deleted: string[] = []
    for (let id = 0; id < prefix; id++) {
      const op = plan.get(id)
      if (op.kind === 'del' && !model.has(op.key)) deleted.push(op.key)
    }
    const ghosts = (await db.getMany(deleted)).filter((v) => v !== undefined).length
    t.ok(wrong === 0 && ghosts === 0, `${label}: get agrees with the iterator (${keys.length} keys, ${deleted.length} deleted)`)

    return { prefix }
  } finally {
    await db.close()
  }
}

function childOk (t: test.Test, run: ChildRun, label: string): void {
  t.ok(run.signal === 'SIGKILL' && run.errors.length === 0,
    `${label}: the writer ran until killed${run.errors.length > 0 ? ': ' + run.errors.join('; ').slice(0, 1500) : ''}${run.signal === null ? ` (exited with code ${run.code})` : ''}`)
}

const SEEDS = [1, 2, 3, 4, 5, 6, 7]

test('SIGKILL at a random moment while writing: acknowledged writes survive, state is a prefix', async (t) => {
  let duringFlush = 0
  let withTables = 0
  let totalAcks = 0
  for (const seed of SEEDS) {
    const location = tempLocation('crash')
    const plan = new Plan(seed, 4096)
    const delay = 50 + Math.floor(prng(seed * 7919)() * 700)
    const run = await runAndKill({ location, seed, start: 0, writeBufferSize: SMALL_BUFFER, maxValue: 4096, syncRate: 0.02 }, 'ready', delay)
    const label = `seed ${seed}, killed ${delay} ms after ready`
    childOk(t, run, label)
    const files = describeFiles(location)
    if (files.logs > 1) duringFlush++
    if (files.tables > 0) withTables++
    totalAcks += run.acks.length
    t.ok(run.acks.length > 0, `${label}: ${run.acks.length} writes acknowledged before the kill (${files.logs} logs, ${files.tables} tables on disk)`)
    await verify(t, location, plan, run.acks, label)
  }
  t.ok(withTables > 0, `flushes happened before the kill in ${withTables} of ${SEEDS.length} rounds`)
  t.comment(`${totalAcks} acknowledged writes; killed with an unflushed immutable memtable in ${duringFlush} of ${SEEDS.length} rounds`)
})

test('SIGKILL while compactions run: nothing acknowledged is lost', async (t) => {
  let interrupted = 0
  const seeds = [31, 32, 33, 34]
  for (const seed of seeds) {
    const location = tempLocation('crash-compaction')
    const plan = new Plan(seed, 4096)
    // Long enough for level-0 to fill and compactions to run back to back.
    const delay = 1200 + Math.floor(prng(seed * 31337)() * 1200)
    const run = await runAndKill({ location, seed, start: 0, writeBufferSize: SMALL_BUFFER, maxValue: 4096, syncRate: 0.01 }, 'ready', delay)
    const label = `seed ${seed}, killed ${delay} ms after ready`
    childOk(t, run, label)
    await verify(t, location, plan, run.acks, label)
    // LOG holds the killed writer's lines, then those of verify()'s reopen: count the first.
    const lines = fs.readFileSync(path.join(location, 'LOG'), 'utf8').split('\n')
    const reopened = lines.findIndex((line, i) => i > 0 && line.endsWith(' lsm-level opened the database'))
    t.ok(reopened > 0, `${label}: LOG holds the writer's lines, then the reopen's from line ${reopened + 1}`)
    const log = lines.slice(0, reopened)
    const started = log.filter((line) => line.includes(' Compacting ')).length
    const finished = log.filter((line) => line.includes(' Compacted ')).length
    t.ok(started > 0, `${label}: ${started} compactions started, ${finished} finished before the kill`)
    if (started > finished) interrupted++
  }
  t.ok(interrupted > 0, `the kill interrupted a running compaction in ${interrupted} of ${seeds.length} rounds`)
})

test('kill, reopen, write more, kill again, reopen (and kills during open)', async (t) => {
  for (const seed of [11, 12]) {
    const location = tempLocation('crash-again')
    const plan = new Plan(seed, 4096)
    const rand = prng(seed * 104729)
    const base = { location, seed, writeBufferSize: SMALL_BUFFER, maxValue: 4096, syncRate: 0.02 }

    const run1 = await runAndKill({ ...base, start: 0 }, 'ready', 100 + Math.floor(rand() * 400))
    childOk(t, run1, `seed ${seed} run 1`)
    const first = await verify(t, location, plan, run1.acks, `seed ${seed} after kill 1`)

    // The second writer continues the plan exactly where the visible state ends.
    const run2 = await runAndKill({ ...base, start: first.prefix }, 'ready', 100 + Math.floor(rand() * 400))
    childOk(t, run2, `seed ${seed} run 2`)
    t.ok(run2.acks.length > 0 && run2.acks.every((id) => id >= first.prefix), `seed ${seed} run 2: wrote ${run2.acks.length} more acknowledged ops`)
    const second = await verify(t, location, plan, run1.acks.concat(run2.acks), `seed ${seed} after kill 2`)
    t.ok(second.prefix >= first.prefix, `seed ${seed}: nothing visible after the first reopen was lost (${first.prefix} -> ${second.prefix})`)

    // Killed right after (or during) its open, twice: the state must not change.
    let prefix = second.prefix
    for (const delay of [0, 5 + Math.floor(rand() * 40)]) {
      const run = await runAndKill({ ...base, start: prefix, idle: true }, 'opening', delay)
      childOk(t, run, `seed ${seed} kill ${delay} ms into open`)
      const after = await verify(t, location, plan, run1.acks.concat(run2.acks), `seed ${seed} after a kill ${delay} ms into open (${run.ready ? 'open had finished' : 'during open'})`)
      t.equal(after.prefix, prefix, `seed ${seed}: a kill during open changes nothing`)
      prefix = after.prefix
    }

    // And writing still works afterwards.
    const run3 = await runAndKill({ ...base, start: prefix }, 'ready', 100 + Math.floor(rand() * 300))
    childOk(t, run3, `seed ${seed} run 3`)
    const third = await verify(t, location, plan, run1.acks.concat(run2.acks, run3.acks), `seed ${seed} after kill 3`)
    t.ok(third.prefix >= prefix, `seed ${seed}: run 3 continued the state (${prefix} -> ${third.prefix})`)
  }
})

test('SIGKILL during recovery of a large WAL (recovery flushes tables), repeatedly', async (t) => {
  const seed = 21
  const location = tempLocation('crash-recovery')
  const plan = new Plan(seed, 4096)
  // A big write buffer: everything stays in one multi-MiB WAL.
  const run1 = await runAndKill({ location, seed, start: 0, writeBufferSize: 32 * 1024 * 1024, maxValue: 4096, syncRate: 0 }, 'ready', 700)
  childOk(t, run1, 'writer with a 32 MiB buffer')
  const logBytes = fs.readdirSync(location).filter((n) => n.endsWith('.log'))
    .reduce((sum, n) => sum + fs.statSync(path.join(location, n)).size, 0)
  t.ok(logBytes > SMALL_BUFFER * 4, `the WAL holds ${logBytes} bytes, several memtables' worth`)

  // Reopen with a 64 KiB buffer, so recovery writes a table every 64 KiB, and kill it meanwhile.
  const rand = prng(seed)
  let killedDuringOpen = 0
  for (let round = 0; round < 5; round++) {
    const delay = Math.floor(rand() * 120)
    const run = await runAndKill({ location, seed, start: 0, writeBufferSize: SMALL_BUFFER, maxValue: 4096, syncRate: 0, idle: true }, 'opening', delay)
    childOk(t, run, `recovery round ${round}: killed ${delay} ms after 'opening'`)
    if (!run.ready) killedDuringOpen++
  }
  t.comment(`${killedDuringOpen} of 5 kills landed before open resolved`)
  const final = await verify(t, location, plan, run1.acks, 'after kills during recovery')
  t.ok(final.prefix > 0, `recovered ${final.prefix} ops`)
})
