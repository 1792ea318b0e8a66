/**
 * Where the six-digit MFA code comes from: `--mfa-code`, then `MITOSIS_MFA_CODE`, then a prompt on the
 * terminal (a `Prompt`, which the CLI supplies: src/cli/prompt.ts). A given code is used once: a later
 * refresh needs a fresh code, so it asks the terminal (or fails if there is none). Never a code in a message.
 */
import * as E from 'fp-ts/lib/Either.js'

/** Asks one question on the terminal; resolves to the answer, or undefined when the input was closed. */
export type Prompt = (question: string) => Promise<string | undefined>

export const MFA_CODE_ENV = 'MITOSIS_MFA_CODE'
/** Prompts in all (the first and two more) before a run gives up on a mistyped code. */
export const MAX_PROMPTS = 3
export const MFA_CODE_FORMAT = 'MFA code must be six digits'

export interface MfaCodeSourceInit {
  /** `--mfa-code`. */
  readonly code?: string | undefined
  /** Where `MITOSIS_MFA_CODE` is read from: the CLI passes process.env. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
  /** Present only when there is a terminal to ask (see terminalPrompt). */
  readonly prompt?: Prompt | undefined
}

export interface MfaCodeSource {
  /**
   * The next code for the device `serial`: the given code (flag, then environment) the first time, a prompt
   * after that. Never a code in the Left.
   */
  readonly next: (serial: string) => Promise<E.Either<string, string>>
}

/** An MFA code: six digits. */
export const SIX_DIGITS = /^\d{6}$/

export const promptText = (serial: string): string => `Enter MFA code for ${serial}: `

export const mfaCodeSource = (init: MfaCodeSourceInit): MfaCodeSource => {
  const given: Array<{ readonly from: string; readonly value: string }> = []
  if (init.code !== undefined) given.push({ from: '--mfa-code', value: init.code })
  else {
    const env = init.env?.[MFA_CODE_ENV]
    if (env !== undefined && env !== '') given.push({ from: MFA_CODE_ENV, value: env })
  }
  let used: string | undefined

  const ask = async (serial: string, prompt: Prompt): Promise<E.Either<string, string>> => {
    let question = promptText(serial)
    for (let attempt = 1; attempt <= MAX_PROMPTS; attempt++) {
      let answer: string | undefined
      try {
        answer = await prompt(question)
      } catch (e) {
        return E.left(`could not read the MFA code for ${serial}: ${(e as Error).name ?? 'Error'}`)
      }
      if (answer === undefined) return E.left(`no MFA code was entered for ${serial}`)
      const code = answer.trim()
      if (SIX_DIGITS.test(code)) return E.right(code)
      question = `${MFA_CODE_FORMAT}. ${promptText(serial)}`
    }
    return E.left(`${MFA_CODE_FORMAT} (${MAX_PROMPTS} attempts for ${serial})`)
  }

  return {
    next: async (serial) => {
      const first = given.shift()
      if (first !== undefined) {
        const code = first.value.trim()
        if (!SIX_DIGITS.test(code)) return E.left(`${first.from}: ${MFA_CODE_FORMAT}`)
        used = first.from
        return E.right(code)
      }
      if (init.prompt !== undefined) return ask(serial, init.prompt)
      return E.left(
        used === undefined
          ? `an MFA code is needed for ${serial}: pass --mfa-code or set ${MFA_CODE_ENV}`
          : `a fresh MFA code is needed for ${serial} (the one from ${used} was used already): run on a terminal to be asked for it`,
      )
    },
  }
}
