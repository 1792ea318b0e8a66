import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { Flags } from '@oclif/core'
import * as E from 'fp-ts/lib/Either.js'
import { plan, renderPlanFailure } from '../../interpret/workflow.js'
import type { CreateRequest } from '../../plan/create.js'
import { connect } from '../wiring.js'
import { UserError } from '../errors.js'
import { applyFlags, debugFlag, outputFlags, worldFlags } from '../flags.js'
import { checkOutputFlags, MitosisCommand, showOrApply } from '../output.js'
import { passwordChoice, passwordFlags } from '../password.js'

export default class Create extends MitosisCommand {
  static override summary = 'Create a new, empty Aurora cluster like an existing one, with its instances and (from a Liquibase changelog) its schema.'

  static override description = `The new cluster takes the source cluster's engine and version, encryption (StorageEncrypted, the source's KMS key), cluster parameter group, backup and maintenance windows, backup retention, deletion protection, security groups and tags; not its data. Then one or more instances (the first is the writer) and, with --changelog, \`liquibase update\` against the new writer endpoint.

The master password is read from stdin (--db-password-stdin) or a file (--db-password-file), never from the command line, and is never in the plan: the plan names it as a secret the interpreter fills in when it sends the call. --manage-master-password has RDS keep it in Secrets Manager instead (no --changelog then).

It applies against AWS (and on the simulator, --simulate); review it with --plan first. With --changelog the schema step runs against the new writer's endpoint, so it must be reachable from where mitosis runs.`

  static override examples = [
    {
      description: 'The plan for a new cluster like shop-prod, with two instances and a schema',
      command: '<%= config.bin %> create --simulate fixtures/aurora.json --like shop-prod --target shop-new --instances 2 --db-password-file pw.txt --changelog changelog.yaml --plan',
    },
    {
      description: 'Apply it on the simulator',
      command: 'printf %s "$PW" | <%= config.bin %> create --simulate fixtures/aurora.json --like shop-prod --target shop-new --db-password-stdin --yes',
    },
  ]

  static override flags = {
    like: Flags.string({ summary: 'The Aurora DB cluster the new one is like (its settings, not its data).', required: true, helpValue: 'ID' }),
    target: Flags.string({ summary: 'Identifier of the new DB cluster; its instances are <target>-1, <target>-2, …', required: true, helpValue: 'ID' }),
    subnets: Flags.string({ summary: 'Subnets for a new subnet group <target>-subnets (two or more, comma-separated), or "source" for the source\'s group (the default).', helpValue: 'LIST' }),
    'instance-class': Flags.string({ summary: "DB instance class of the new instances (default: the source writer's).", helpValue: 'CLASS' }),
    instances: Flags.integer({ summary: 'How many instances (the first is the writer).', default: 1, helpValue: 'N' }),
    'database-name': Flags.string({ summary: "The database to create (default: the source's).", helpValue: 'NAME' }),
    'master-username': Flags.string({ summary: "The master user (default: the source's).", helpValue: 'USER' }),
    ...passwordFlags(true),
    changelog: Flags.string({ summary: 'A Liquibase changelog to apply to the new database (liquibase update).', helpValue: 'FILE' }),
    'engine-version': Flags.string({ summary: "Engine version of the new cluster (default: the source's).", helpValue: 'V' }),
    ...outputFlags(['text', 'json'], 'Same as --format json; when applying, JSON lines of events.'),
    ...worldFlags,
    ...applyFlags,
    ...debugFlag,
  }

  public async run(): Promise<void> {
    const { flags } = await this.parse(Create)
    const password = passwordChoice(flags)
    if (password === undefined) throw new UserError('the master password: give --db-password-stdin, --db-password-file FILE or --manage-master-password')
    checkOutputFlags(flags)
    const request: CreateRequest = {
      like: flags.like,
      target: flags.target,
      subnets: flags.subnets === undefined || flags.subnets.trim() === 'source' ? 'source' : flags.subnets.split(','),
      instanceClass: flags['instance-class'],
      instances: flags.instances,
      databaseName: flags['database-name'],
      masterUsername: flags['master-username'],
      password,
      changelog: changelogFile(flags.changelog),
      engineVersion: flags['engine-version'],
    }
    const capabilities = await connect(flags)
    const planned = await plan(capabilities, { create: request })()
    if (E.isLeft(planned)) throw new UserError(renderPlanFailure(planned.left))
    await showOrApply(planned.right, capabilities, flags)
  }
}

/** The --changelog file, as an absolute path: refused unless it is a file. */
const changelogFile = (flag: string | undefined): string | undefined => {
  if (flag === undefined) return undefined
  const changelog = resolve(flag)
  let isFile = false
  try {
    isFile = statSync(changelog).isFile()
  } catch {
    throw new UserError(`--changelog ${flag}: no such file`)
  }
  if (!isFile) throw new UserError(`--changelog ${flag}: not a file`)
  return changelog
}
