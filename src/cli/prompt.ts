/**
 * Questions on the user's terminal: the MFA code (terminalPrompt, the `Prompt` that src/aws/credentials/mfa.ts
 * asks through) and the apply confirmation (confirm). Neither guesses when there is no terminal.
 */
import * as fs from 'node:fs'
import * as readline from 'node:readline'
import { createInterface } from 'node:readline/promises'
import * as tty from 'node:tty'
import type { Prompt } from '../aws/credentials/mfa.js'

/**
 * A prompt on the user's terminal, or undefined when there is none: stdin when it is a TTY, else /dev/tty
 * when stderr is a TTY (stdin piped). The question goes to stderr (stdout may be JSON). The answer is echoed
 * as typed, as the AWS CLI does: a one-time code.
 */
export const terminalPrompt = (): Prompt | undefined => {
  if (process.stdin.isTTY === true) return (question) => ask(process.stdin, question)
  if (process.stderr.isTTY !== true) return undefined
  const open = (): tty.ReadStream | undefined => {
    try {
      return new tty.ReadStream(fs.openSync('/dev/tty', 'r'))
    } catch {
      return undefined
    }
  }
  const probe = open()
  if (probe === undefined) return undefined
  probe.destroy()
  return async (question) => {
    const input = open()
    if (input === undefined) return undefined
    try {
      return await ask(input, question)
    } finally {
      input.destroy()
    }
  }
}

const ask = (input: NodeJS.ReadableStream, question: string): Promise<string | undefined> =>
  new Promise((resolve) => {
    const rl = readline.createInterface({ input, output: process.stderr, terminal: true })
    let answered = false
    rl.once('close', () => {
      if (!answered) {
        process.stderr.write('\n')
        resolve(undefined)
      }
    })
    rl.question(question, (answer) => {
      answered = true
      rl.close()
      resolve(answer)
    })
  })

/** Asks on the terminal; never guesses when there is none. Ctrl-C at the question answers it: not applied. */
export const confirm = async (question: string): Promise<'yes' | 'no' | 'no-terminal' | 'interrupted'> => {
  if (!process.stdin.isTTY || !process.stdout.isTTY) return 'no-terminal'
  const rl = createInterface({ input: process.stdin, output: process.stdout })
  const asked = new AbortController()
  rl.on('SIGINT', () => asked.abort())
  try {
    const answer = (await rl.question(question, { signal: asked.signal })).trim().toLowerCase()
    return answer === 'y' || answer === 'yes' ? 'yes' : 'no'
  } catch (e) {
    if (asked.signal.aborted) {
      process.stdout.write('\n')
      return 'interrupted'
    }
    throw e
  } finally {
    rl.close()
  }
}
