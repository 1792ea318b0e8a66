/**
 * The progress display of a build, on stderr: each phase as it begins (reading the source, planning,
 * reading the base, bundling the interpreter, writing each layer, loading or writing the image), each layer
 * when it is written with its size, its file count, its digest and how long it took, and the whole build's
 * time at the end. Lines only (no redraw). The phases are shown on a terminal only: in a CI log a refused
 * build is its one line, and a build that goes through shows its layers and its total. Quiet under --json,
 * so stdout and stderr stay machine-readable.
 */
import type { Layer } from './layout.js'

export interface Progress {
  /** A phase begins; the previous one is over. */
  step(what: string): void
  /** A layer is written (`files` entries). */
  layer(layer: Layer, what: string, files: number): void
  /** The build is over (loaded, written). */
  done(what: string): void
}

export const size = (n: number): string => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`)

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

export const filesCount = (n: number): string => `${n} file${n === 1 ? '' : 's'}`

export const quietProgress: Progress = { step: () => undefined, layer: () => undefined, done: () => undefined }

export const stderrProgress = (
  write: (line: string) => void = (l) => void process.stderr.write(l),
  now: () => number = Date.now,
  terminal: boolean = process.stderr.isTTY === true,
): Progress => {
  const started = now()
  let since = started
  return {
    // the phases only for a person watching: in a log, a refused build stays one line (its reason)
    step: (what) => {
      since = now()
      if (terminal) write(`… ${what}\n`)
    },
    layer: (layer, what, files) => write(`layer ${what}: ${size(layer.size)}, ${filesCount(files)}, ${layer.digest} (${seconds(now() - since)})\n`),
    done: (what) => write(`${what} in ${seconds(now() - started)}\n`),
  }
}
