/** Asks on the terminal; never guesses when there is none. Ctrl-C at the question answers it: not applied. */
import { createInterface } from 'node:readline/promises'

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
