/**
 * What a base image has that the artifact runs: node (so the ENTRYPOINT can be exec form, no shell needed),
 * and, when the plans need them, a shell (a restart hook is a shell command line) and java (Liquibase). The
 * layers are applied in order (whiteouts remove), then the usual places are looked up (for java: JAVA_HOME
 * and PATH of the base's Env), following symlinks within the image.
 */
import { posix } from 'node:path'
import { gunzip, isGzip } from './gzip.js'
import type { Layer } from './layout.js'
import { readTar, type ReadEntry } from './tar.js'

export const NODE_PLACES = ['usr/local/bin/node', 'usr/bin/node', 'nodejs/bin/node'] as const

/** The image's file system as the last layer leaves it (path → entry). */
export const flatten = (layers: ReadonlyArray<Layer>): Map<string, ReadEntry> => {
  const fs = new Map<string, ReadEntry>()
  for (const layer of layers) {
    for (const e of readTar(isGzip(layer.blob) ? gunzip(layer.blob) : layer.blob)) {
      const base = posix.basename(e.path)
      const dir = posix.dirname(e.path)
      if (base === '.wh..wh..opq') {
        for (const p of [...fs.keys()]) if (p.startsWith(`${dir}/`)) fs.delete(p)
      } else if (base.startsWith('.wh.')) {
        const gone = posix.join(dir, base.slice(4))
        for (const p of [...fs.keys()]) if (p === gone || p.startsWith(`${gone}/`)) fs.delete(p)
      } else fs.set(e.path, e)
    }
  }
  return fs
}

/** Resolves a path through symlinks (in every component); undefined when it does not lead to a file. */
const resolveFile = (fs: Map<string, ReadEntry>, path: string): string | undefined => {
  let parts = path.split('/')
  for (let hops = 0, i = 0; i < parts.length; ) {
    const here = parts.slice(0, i + 1).join('/')
    const e = fs.get(here)
    if (e === undefined) {
      // a layer need not list the directories above its files
      if (i === parts.length - 1) return undefined
      i++
      continue
    }
    if (e.type === 'symlink') {
      if (++hops > 40) return undefined
      const target = e.target.startsWith('/') ? e.target.slice(1) : posix.join(posix.dirname(here), e.target)
      parts = [...posix.normalize(target).split('/').filter((p) => p !== '' && p !== '.'), ...parts.slice(i + 1)]
      if (parts[0] === '..') return undefined
      i = 0
      continue
    }
    if (i === parts.length - 1) return e.type === 'file' ? here : undefined
    if (e.type !== 'dir') return undefined
    i++
  }
  return undefined
}

export class NoNodeError extends Error {}

export const SHELL_PLACES = ['bin/sh', 'usr/bin/sh', 'bin/bash', 'usr/bin/bash'] as const

/** The first of `places` that resolves to a file, as an absolute path. */
const firstFile = (fs: Map<string, ReadEntry>, places: ReadonlyArray<string>): string | undefined => {
  const found = places.find((p) => resolveFile(fs, p) !== undefined)
  return found === undefined ? undefined : `/${found}`
}

/** What the base has of what the artifact may run. */
export interface BaseTools {
  readonly node: string
  readonly shell?: string | undefined
  readonly java?: string | undefined
}

/** Where java is for the base's Env: JAVA_HOME/bin/java, else java in a PATH directory (the default PATH without one). */
const javaPlaces = (env: ReadonlyArray<string>): string[] => {
  const value = (k: string): string | undefined => env.find((e) => e.startsWith(`${k}=`))?.slice(k.length + 1)
  const home = value('JAVA_HOME')
  const path = value('PATH') ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  const dirs = home !== undefined && home !== '' ? [posix.join(home, 'bin')] : path.split(':').filter((d) => d !== '')
  return dirs.map((d) => posix.join(d, 'java').replace(/^\/+/, ''))
}

/** node (required: refused in one line without it), a shell and java in the base, its layers flattened once. */
export const baseTools = (layers: ReadonlyArray<Layer>, baseName: string, env: ReadonlyArray<string> = []): BaseTools => {
  const fs = flatten(layers)
  const node = firstFile(fs, NODE_PLACES)
  if (node === undefined) throw new NoNodeError(`base image ${baseName} has no node (looked in ${NODE_PLACES.map((p) => `/${p}`).join(', ')}); use a base with Node.js 22 or later`)
  return { node, shell: firstFile(fs, SHELL_PLACES), java: firstFile(fs, javaPlaces(env)) }
}

/** The absolute path of node in the base (the first of NODE_PLACES that resolves to a file). */
export const findNode = (layers: ReadonlyArray<Layer>, baseName: string): string => baseTools(layers, baseName).node
