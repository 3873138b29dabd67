// --cpu-prof: a CPU profile of the main thread per timed workload, through the inspector, so
// that a profile shows one workload and not the fills and setup around it. Load the file in
// Chrome DevTools (Performance) or summarise its self times.
import fs = require('fs')
import inspector = require('inspector')
import path = require('path')

let session: inspector.Session | undefined

function post (method: string, params?: object): Promise<any> {
  return new Promise((resolve, reject) => {
    session!.post(method, params ?? {}, (err, result) => { err !== null ? reject(err) : resolve(result) })
  })
}

/** Starts profiling; the function returned stops and writes <dir>/<label>.cpuprofile. */
export async function startProfile (dir: string | null, label: string): Promise<() => Promise<void>> {
  if (dir === null) return async () => {}
  if (session === undefined) {
    session = new inspector.Session()
    session.connect()
    await post('Profiler.enable')
  }
  await post('Profiler.start')
  return async () => {
    const { profile } = await post('Profiler.stop')
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(path.join(dir, `${label}.cpuprofile`), JSON.stringify(profile))
  }
}
