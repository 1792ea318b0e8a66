/**
 * The artifact image from its parts: the base's layers, then ours (each a list of tar entries), and an OCI
 * image config with an exec-form ENTRYPOINT on the base's node, a numeric non-root USER, the labels, and
 * `created` from the epoch. Pure: the same parts give the same bytes.
 */
import type { BaseImage } from './base.js'
import { imageOf, layerOf, type Image, type Layer } from './layout.js'
import { writeTar, type TarEntry } from './tar.js'

export const ARTIFACT_USER = '10001:10001'

export interface ImageSpec {
  readonly base: BaseImage
  /** Our layers, in order, each with a history line (no secret: it is in the config). */
  readonly layers: ReadonlyArray<{ readonly entries: ReadonlyArray<TarEntry>; readonly createdBy: string }>
  readonly entrypoint: ReadonlyArray<string>
  readonly cmd: ReadonlyArray<string>
  readonly workingDir: string
  readonly labels: Readonly<Record<string, string>>
  /** SOURCE_DATE_EPOCH, seconds. */
  readonly epoch: number
}

/** RFC 3339 (UTC, seconds) of an epoch. */
export const rfc3339 = (epoch: number): string => new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')

/** The base's Env, plus HOME=/tmp when it has no HOME (node wants one; /tmp is writable with a read-only root). */
export const envOf = (base: BaseImage): string[] => {
  const env = [...(base.config.config?.Env ?? [])]
  return env.some((e) => e.startsWith('HOME=')) ? env : [...env, 'HOME=/tmp']
}

/** What a build is told while its layers are written (the progress display). */
export interface LayerEvents {
  readonly starts?: (index: number, files: number) => void
  readonly written?: (layer: Layer, index: number, files: number) => void
}

export const assembleImage = (spec: ImageSpec, events: LayerEvents = {}): Image => {
  const created = rfc3339(spec.epoch)
  const ours = spec.layers.map((l, i) => {
    events.starts?.(i, l.entries.length)
    const layer = layerOf(writeTar(l.entries, spec.epoch))
    events.written?.(layer, i, l.entries.length)
    return layer
  })
  const base = spec.base.config
  const config = {
    created,
    architecture: base.architecture ?? 'amd64',
    os: base.os ?? 'linux',
    ...(base['variant'] === undefined ? {} : { variant: base['variant'] }),
    config: {
      User: ARTIFACT_USER,
      Env: envOf(spec.base),
      Entrypoint: [...spec.entrypoint],
      Cmd: [...spec.cmd],
      WorkingDir: spec.workingDir,
      Labels: Object.fromEntries(Object.entries(spec.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    },
    rootfs: { type: 'layers', diff_ids: [...spec.base.layers.map((l) => l.diffId), ...ours.map((l) => l.diffId)] },
    history: [...(base.history ?? []), ...spec.layers.map((l) => ({ created, created_by: l.createdBy }))],
  }
  return imageOf(config, [...spec.base.layers, ...ours])
}
