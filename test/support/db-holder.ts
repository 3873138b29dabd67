// Child process for test/robustness/locking.test.ts: opens an lsm-level database and holds it.
//
//   node dist/test/support/db-holder.js <location> [hold|close]
//
// Prints "ready" once open (after writing key 'holder' = its pid), then holds the database
// until killed ('hold', the default) or closes it, prints "closed" and exits ('close').
// If open fails: prints "error <code> <cause code> <cause message>" and exits with code 0.

import { LsmLevel } from '../../index'

const [location, mode = 'hold'] = process.argv.slice(2)

async function main (): Promise<void> {
  const db = new LsmLevel<string, string>(location)
  try {
    await db.open()
  } catch (err) {
    const e = err as { code?: string, cause?: { code?: string, message?: string } }
    console.log(`error ${e.code} ${e.cause?.code} ${e.cause?.message}`)
    return
  }
  await db.put('holder', String(process.pid))
  console.log('ready')
  if (mode === 'close') {
    await db.close()
    console.log('closed')
  } else {
    setInterval(() => {}, 1000)
  }
}

main().catch((err) => {
  console.log(`error crash ${(err as Error).stack}`)
  process.exitCode = 1
})
