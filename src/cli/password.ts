/**
 * The master password's flags on the command line. Where the password is read from, and how, is
 * password-source.ts (no oclif there: the artifact's program reads it the same way).
 */
import { Flags } from '@oclif/core'

export { checkPasswordConfirmation, passwordChoice, readPasswordSecrets, type PasswordFlags } from './password-source.js'

/**
 * The password flags, each exclusive of the others it is offered with: `--manage-master-password`
 * only where the plan is being made (clone, create), not where a saved plan is applied.
 */
export const passwordFlags = (withManaged: boolean) => {
  const others = (self: string) => ['db-password-stdin', 'db-password-file', ...(withManaged ? ['manage-master-password'] : [])].filter((f) => f !== self)
  return {
    'db-password-stdin': Flags.boolean({ summary: "Set the master password read from stdin (a clone otherwise keeps the source's).", exclusive: others('db-password-stdin') }),
    'db-password-file': Flags.string({ summary: 'Set the master password read from this file.', helpValue: 'FILE', exclusive: others('db-password-file') }),
    ...(withManaged
      ? { 'manage-master-password': Flags.boolean({ summary: 'Have RDS make the master password and keep it in Secrets Manager.', exclusive: others('manage-master-password') }) }
      : {}),
  }
}
