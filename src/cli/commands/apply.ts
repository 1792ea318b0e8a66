import { Args, Flags } from '@oclif/core'
import * as E from 'fp-ts/lib/Either.js'
import { checkSaved, decodeSaved, renderSavedFailure, secretsOf } from '../../interpret/workflow.js'
import { readJsonFile } from '../../json-file.js'
import { connect } from '../wiring.js'
import { UserError } from '../errors.js'
import { applyFlags, debugFlag, productionFlag, worldFlags } from '../flags.js'
import { applyWithPassword, MitosisCommand, sayNotes } from '../output.js'
import { checkPasswordConfirmation, passwordChoice, passwordFlags } from '../password.js'

export default class Apply extends MitosisCommand {
  static override summary = 'Apply a plan saved with --plan --out (by a clone or by create), exactly as it was shown.'

  static override description = `Refuses when the world has changed since the plan was made (plan is stale: …, naming what changed). Re-running after an interruption resumes: what is done is skipped.

A plan whose target is tagged as production (environment, env or stage = prod or production, any case) is refused with exit 2, as the clone that made it was, unless --allow-production-target is given here too.

A plan that sets a master password (made with --db-password-stdin or --db-password-file) holds only the password's name: give the password again here, the same way.`

  static override examples = [
    { description: 'Save a plan, review it, apply it', command: '<%= config.bin %> --source mitosis-prod --target mitosis-demo --plan --out plan.json\n<%= config.bin %> apply plan.json' },
  ]

  static override args = {
    file: Args.string({ description: 'The plan file written by --plan --out.', required: true }),
  }

  static override flags = {
    json: Flags.boolean({ summary: 'JSON lines of events instead of text.' }),
    ...passwordFlags(false),
    ...productionFlag,
    ...worldFlags,
    ...applyFlags,
    ...debugFlag,
  }

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(Apply)
    checkPasswordConfirmation(flags, true)
    const json = readJson(args.file)
    const file = decodeSaved(json)
    if (E.isLeft(file)) throw new UserError(renderSavedFailure(file.left, args.file))
    // a password given for a plan that sets none would be silently dropped: say so instead
    if (passwordChoice(flags) !== undefined && secretsOf(file.right.plan).length === 0) {
      throw new UserError(`${args.file} sets no master password (it was planned without --db-password-stdin or --db-password-file); drop the password flag or make a new plan with it`)
    }
    const capabilities = await connect(flags)
    const checked = await checkSaved(capabilities, json, { allowProductionTarget: flags['allow-production-target'] })()
    if (E.isLeft(checked)) {
      // what reading the world could not tell is said even when the plan is refused
      if ('environment' in checked.left && checked.left.environment !== undefined) sayNotes(checked.left.environment)
      throw new UserError(renderSavedFailure(checked.left, args.file), checked.left._tag === 'Production' ? 2 : 1)
    }
    sayNotes(checked.right.environment)
    await applyWithPassword(checked.right, capabilities, flags)
  }
}

/** The parsed JSON of a plan file (read by json-file.ts, worded for a plan file). */
const readJson = (path: string): unknown => {
  const json = readJsonFile(path)
  if (E.isRight(json)) return json.right
  throw new UserError(json.left._tag === 'Unreadable' ? `${path}: cannot read: ${json.left.error.code ?? String(json.left.error)}` : `${path}: not JSON: ${json.left.error.message}`)
}
