/** Asks on the terminal; never guesses when there is none. */
import { createInterface } from 'node:readline/promises'

export const confirm = async (question: string): Promise<'yes' | 'no' | 'no-terminal'> => {
  if (!process.stdin.isTTY || !process.stdout.isTTY) return 'no-terminal'
  const rl = createInterface({ input: process.stdin, output: process.stdout })
  try {
    const answer = (await rl.question(question)).trim().toLowerCase()
    return answer === 'y' || answer === 'yes' ? 'yes' : 'no'
  } finally {
    rl.close()
  }
}
