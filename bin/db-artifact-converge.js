#!/usr/bin/env node
// db-artifact-converge: database-artifact-factory's converge command, with its flags, for the scripts written
// for it. It runs the same thing as `mitosis artifact converge` (dist/src/artifact/run.js, loaded directly: no
// command framework to start), so the container, the mounts and the exit codes are the same.
import { parseArgs } from 'node:util'

const usage = `Usage: db-artifact-converge [--create_mode clone|create] [--aws_profile P] [--aws_credentials FILE|DIR]
         [--docker_image REF] [--db_password_file FILE | --db_password_stdin | --db_password VALUE]
         [--aws_region R] [--engine docker|podman] [--network NAME] [--replan]
Runs the artifact's converge in a container (the same as \`mitosis artifact converge\`) and exits with its code.
--db_username is accepted and ignored: the master username comes from the plan (a clone keeps the source's).
--db_password VALUE works, but other users of this machine can read a command's arguments: prefer a file or stdin.`

const fail = (line) => {
  process.stderr.write(`Error: ${line}\n`)
  process.exit(2)
}

// the seed's --create_mode took create|clone; a bare --create_mode (as in some of its scripts) means create
const argv = process.argv.slice(2).flatMap((a, i, all) => (a === '--create_mode' && (all[i + 1] === undefined || all[i + 1].startsWith('--')) ? [a, 'create'] : [a]))

let values
try {
  ;({ values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      create_mode: { type: 'string' },
      aws_profile: { type: 'string' },
      aws_credentials: { type: 'string' },
      aws_region: { type: 'string' },
      docker_image: { type: 'string' },
      db_username: { type: 'string' },
      db_password: { type: 'string' },
      db_password_file: { type: 'string' },
      db_password_stdin: { type: 'boolean' },
      engine: { type: 'string' },
      network: { type: 'string' },
      replan: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }))
} catch (e) {
  fail(`${String(e.message).split('\n')[0]} (see --help)`)
}
if (values.help) {
  process.stdout.write(`${usage}\n`)
  process.exit(0)
}

const MODES = { create: 'create', clone: 'clone', true: 'create', yes: 'create', 1: 'create', false: 'clone', no: 'clone', 0: 'clone' }
const mode = values.create_mode === undefined ? 'clone' : MODES[values.create_mode.toLowerCase()]
if (mode === undefined) fail(`--create_mode must be create or clone, got ${JSON.stringify(values.create_mode)}`)
if (values.engine !== undefined && !['docker', 'podman'].includes(values.engine)) fail(`--engine must be docker or podman, got ${JSON.stringify(values.engine)}`)
const given = ['db_password', 'db_password_file', 'db_password_stdin'].filter((k) => values[k] !== undefined)
if (given.length > 1) fail(`give one of --${given.join(', --')}`)

if (values.db_password !== undefined) {
  process.stderr.write(
    'Warning: --db_password puts the password in the arguments of this command, which other users of this machine can see (ps, /proc); prefer --db_password_file FILE or --db_password_stdin\n',
  )
}
if (values.db_username !== undefined) process.stderr.write('Warning: --db_username is ignored: the master username comes from the plan (a clone keeps the source\'s)\n')

const password =
  values.db_password !== undefined
    ? { from: 'value', value: values.db_password }
    : values.db_password_file !== undefined
      ? { from: 'file', path: values.db_password_file }
      : values.db_password_stdin
        ? { from: 'stdin' }
        : undefined

let run
try {
  run = await import('../dist/src/artifact/run.js')
} catch (e) {
  fail(`cannot load mitosis (${e.code ?? e.message}); build it first: npx tsc -p tsconfig.json`)
}
const { DEFAULT_ARTIFACT_TAG } = await import('../dist/src/artifact/config.js')
const result = await run.runConverge({
  image: values.docker_image ?? DEFAULT_ARTIFACT_TAG,
  mode,
  replan: values.replan,
  engine: values.engine,
  network: values.network,
  profile: values.aws_profile,
  region: values.aws_region,
  aws: values.aws_credentials,
  password,
})
if (result.line !== undefined) process.stderr.write(`${result.interrupted ? '' : 'Error: '}${result.line}\n`)
process.exitCode = result.code
