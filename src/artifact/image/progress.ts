/**
 * The progress display while layers are written: on stderr, one line per layer when it is done (its size
 * and digest). Quiet under --json, so stdout and stderr stay machine-readable.
 */
import type { Layer } from './layout.js'

export interface Progress {
  layer(layer: Layer, what: string): void
}

const size = (n: number): string => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`)

export const quietProgress: Progress = { layer: () => undefined }

export const stderrProgress = (stream: NodeJS.WriteStream = process.stderr): Progress => ({
  layer: (layer, what) => stream.write(`layer ${what}: ${size(layer.size)} ${layer.digest}\n`),
})
