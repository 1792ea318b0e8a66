/**
 * Loading a docker-archive into the local engine: `docker load` (or `podman load`) reads it from stdin;
 * the engine's own environment (DOCKER_HOST, CONTAINER_HOST…) passes through, so podman's Docker API serves
 * as well. Gives back the image ID the engine printed.
 */
import { spawn } from 'node:child_process'
import type { Engine } from './base.js'

export class LoadError extends Error {}

/** The image ID in `docker load`/`podman load` output ("Loaded image ID: sha256:…", or "Loaded image: NAME"). */
export const loadedId = (output: string): string | undefined => output.match(/Loaded image(?: ID)?: (sha256:[0-9a-f]{64})/)?.[1]

export const loadImage = (archive: Uint8Array, engine: Engine, fallbackId: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = spawn(engine, ['load'], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')))
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')))
    child.on('error', (e) => reject(new LoadError(`cannot run ${engine} load (${e.message}); use --output oci-archive PATH or --context-only DIR`)))
    child.on('close', (code) => {
      if (code !== 0) reject(new LoadError(`${engine} load failed: ${err.trim().split('\n').pop() ?? `exit ${code}`}`))
      // docker prints the ID only for an untagged image; a tagged one is named, and its ID is the config digest
      else resolve(loadedId(out) ?? fallbackId)
    })
    child.stdin.on('error', () => undefined)
    child.stdin.end(Buffer.from(archive))
  })
