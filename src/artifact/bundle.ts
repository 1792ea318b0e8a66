/**
 * The program layer's files: the interpreter bundled into one ES module by esbuild (the contract's
 * options: platform node, target node22, esm, a createRequire banner so CommonJS dependencies work, no
 * minification so --debug stack traces read), and for create the Liquibase distribution, executable bits
 * kept.
 */
import { readdirSync, readFileSync, statSync, lstatSync, readlinkSync } from 'node:fs'
import { join, relative } from 'node:path'
import { build } from 'esbuild'
import type { TarEntry } from './image/tar.js'

export const BANNER = "import { createRequire as __mitosisCreateRequire } from 'node:module'; const require = __mitosisCreateRequire(import.meta.url);"

export const bundleProgram = async (entry: string): Promise<Buffer> => {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    write: false,
    minify: false,
    sourcemap: false,
    legalComments: 'eof',
    logLevel: 'silent',
    banner: { js: BANNER },
  })
  const out = result.outputFiles[0]
  if (out === undefined) throw new Error(`esbuild gave no output for ${entry}`)
  return Buffer.from(out.contents)
}

/** A directory's files as tar entries under `under` (symlinks kept as links, executables as 0755). */
export const treeEntries = (dir: string, under: string): TarEntry[] => {
  const out: TarEntry[] = []
  const walk = (path: string): void => {
    const rel = relative(dir, path)
    const inImage = rel === '' ? under : `${under}/${rel.split('\\').join('/')}`
    const st = lstatSync(path)
    if (st.isSymbolicLink()) out.push({ type: 'symlink', path: inImage, target: readlinkSync(path) })
    else if (st.isDirectory()) {
      out.push({ type: 'dir', path: inImage })
      for (const name of readdirSync(path).sort()) walk(join(path, name))
    } else if (st.isFile()) out.push({ type: 'file', path: inImage, data: readFileSync(path), executable: (st.mode & 0o111) !== 0 })
  }
  walk(dir)
  return out
}

export const LIQUIBASE_PARTS = ['internal', 'lib', 'LICENSE.txt', 'licenses'] as const

/** The Liquibase distribution's parts the image needs (node_modules/liquibase/dist/liquibase). */
export const liquibaseEntries = (distDir: string, under: string): TarEntry[] => {
  const missing = LIQUIBASE_PARTS.filter((p) => { try { statSync(join(distDir, p)); return false } catch { return true } })
  if (missing.length > 0) throw new Error(`the Liquibase distribution in ${distDir} lacks ${missing.join(', ')} (npm ci installs it)`)
  return LIQUIBASE_PARTS.flatMap((p) => treeEntries(join(distDir, p), `${under}/${p}`))
}
