import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { askJobAnswers, type PromptQuestion, type Prompter } from './prompts.js';

/**
 * The questions driven by a script instead of a person: each step names the question
 * it expects (part of its message) and what the person types or picks, in order.
 * Typed inputs go through the question's own validation, as inquirer does; a refused
 * input is recorded with its message, as inquirer shows it, and the next is tried.
 */
const kitRoot = fileURLToPath(new URL('../../..', import.meta.url));

type Step = [question: string, ...inputs: unknown[]];

class ScriptedPerson implements Prompter {
  readonly refusals: string[] = [];
  readonly said: string[] = [];
  readonly asked: PromptQuestion[] = [];
  private readonly steps: Step[];

  constructor(steps: Step[]) {
    this.steps = [...steps];
  }

  async prompt(questions: PromptQuestion[]): Promise<Record<string, unknown>> {
    const [question] = questions;
    const step = this.steps.shift();
    if (!question || !step || !question.message.includes(step[0])) {
      throw new Error(`asked "${question?.message}", the script expected "${step?.[0]}"`);
    }
    this.asked.push(question);
    const inputs = step.length > 1 ? step.slice(1) : [undefined];
    for (const input of inputs) {
      // Enter on an empty line takes the default, as in a terminal.
      const value = input === undefined ? question.default : input;
      const verdict = question.validate?.(value as never) ?? true;
      if (verdict === true) return { [question.name]: value };
      this.refusals.push(verdict);
    }
    throw new Error(
      `every input to "${question.message}" was refused: ${this.refusals.join('; ')}`,
    );
  }

  /** Every question of the script was asked. */
  get finished(): boolean {
    return this.steps.length === 0;
  }
}

const START: Step[] = [
  ['Job name', 'REPORT_EXPORT'],
  ['Purpose', 'Exports a report'],
  ['Trigger', 'Export button'],
];
const BEHAVIOUR: Step[] = [['Retries'], ['Backoff'], ['Base delay'], ['Timeout'], ['Priority']];

function field(name: string, type: string, required = true): Step[] {
  return [
    ['data field?', true],
    ['Field name', name],
    [`Type of ${name}`, type],
    ['Required?', required],
    ['Description', ''],
  ];
}

async function run(steps: Step[]) {
  const person = new ScriptedPerson(steps);
  const answers = await askJobAnswers(person, kitRoot, {}, (line) => person.said.push(line));
  expect(person.finished).toBe(true);
  return { person, answers };
}

describe('askJobAnswers', () => {
  it('explains a number it cannot take in words, never as NaN', async () => {
    const { person, answers } = await run([
      ...START,
      ['Add a data field?', false],
      ['Retries', 'many', '2.5', '40', '2'],
      ...BEHAVIOUR.slice(1),
      ['Side effects', []],
    ]);
    expect(person.refusals).toEqual([
      'Retries must be a whole number from 0 to 25, not "many"',
      expect.stringContaining('Retries must be a whole number from 0 to 25'),
      'Retries must be a whole number from 0 to 25 (retries after the first try)',
    ]);
    expect(person.refusals.join(' ')).not.toContain('NaN');
    expect(answers.retries).toBe(2);
  });

  it('takes the email to a string field named like one (the seed as written), and says so', async () => {
    const { person, answers } = await run([
      ...START,
      ...field('userEmail', 'string'),
      ['Add another data field?', false],
      ...BEHAVIOUR,
      ['Side effects', ['email']],
    ]);
    expect(person.said).toEqual([
      expect.stringContaining('The email goes to data.userEmail (a plain string'),
    ]);
    expect(answers.sideEffects?.email).toBe(true);
    expect(answers.sideEffects?.emailField).toBeUndefined();
    expect(answers.fields?.[0]?.type).toBe('string');
  });

  it('offers to use a field already given as the address, checked as an email', async () => {
    const { person, answers } = await run([
      ...START,
      ...field('recipient', 'string'),
      ['Add another data field?', false],
      ...BEHAVIOUR,
      ['Side effects', ['email']],
      ['No field holds the address to email', 'use:recipient'],
    ]);
    const offer = person.asked.at(-1);
    expect(offer?.choices).toEqual([
      {
        name: 'Use recipient as the address? It will be checked as an email',
        value: 'use:recipient',
      },
      { name: 'Add a string (email) field for it', value: 'add' },
      { name: 'Go back to the field list', value: 'fields' },
    ]);
    expect(answers.sideEffects?.emailField).toBe('recipient');
  });

  it('goes back to the field list from a rule conflict, then asks which of several', async () => {
    const { answers } = await run([
      ...START,
      ['Add a data field?', false],
      ...BEHAVIOUR,
      ['Side effects', ['email']],
      ['No field holds the address to email', 'fields'],
      ...field('to', 'string (email)'),
      ...field('cc', 'string (email)'),
      ['Add another data field?', false],
      ['Which field holds the address to email?', 'cc'],
    ]);
    expect(answers.fields?.map((entry) => entry.name)).toEqual(['to', 'cc']);
    expect(answers.sideEffects?.emailField).toBe('cc');
  });

  it('never refuses a follow-up for a field this job lacks: offers to add it', async () => {
    const { person, answers } = await run([
      ...START,
      ...field('userId', 'string (uuid)'),
      ['Add another data field?', false],
      ...BEHAVIOUR,
      ['Side effects', ['triggers']],
      ['Queue which jobs', ['NOTIFICATION_EMAIL']],
      ['NOTIFICATION_EMAIL needs userEmail (string (email))', 'add'],
    ]);
    expect(person.refusals).toEqual([]);
    expect(answers.sideEffects?.triggers).toEqual(['NOTIFICATION_EMAIL']);
    expect(answers.fields?.map((entry) => `${entry.name}: ${String(entry.type)}`)).toEqual([
      'userId: string (uuid)',
      'userEmail: string (email)',
    ]);
  });

  it("starts from a spec's answers: each becomes the question's default", async () => {
    const person = new ScriptedPerson([
      ['Job name'],
      ['Purpose'],
      ['Trigger'],
      [
        'Keep the 3 data fields of the spec (userId: string (uuid), email: string (email), note: string?)',
        true,
      ],
      ['Add another data field?', false],
      ...BEHAVIOUR,
      ['Side effects'],
      ['Queue which jobs'],
      ['Keep the other side effects of the spec (Uploads to S3)?', true],
      ['Another side effect', ''],
    ]);
    const spec = {
      name: 'SPEC_JOB',
      purpose: 'From the spec',
      trigger: 'Spec trigger',
      fields: [
        { name: 'userId', type: 'string (uuid)' },
        { name: 'email', type: 'string (email)' },
        { name: 'note', type: 'string', required: false },
      ],
      retries: 7,
      backoff: { type: 'fixed' as const, delayMs: 250 },
      timeoutSeconds: 90,
      priority: 2,
      sideEffects: { database: true, triggers: ['WELCOME_EMAIL'], other: ['Uploads to S3'] },
    };
    const checked = (question: PromptQuestion) =>
      (question.choices ?? []).flatMap((choice) =>
        typeof choice === 'object' && choice.checked ? [choice.value] : [],
      );
    // Inquirer answers a checkbox with what is checked when Enter is pressed.
    const answering: Prompter = {
      prompt: (questions) => {
        const [question] = questions;
        if (question?.type === 'checkbox' && question.message.startsWith('Side effects'))
          question.default = checked(question);
        if (question?.type === 'checkbox' && question.message.startsWith('Queue'))
          question.default = checked(question);
        return person.prompt(questions);
      },
    };
    const answers = await askJobAnswers(answering, kitRoot, { answers: spec }, () => undefined);
    expect(person.finished).toBe(true);
    expect(answers).toMatchObject({
      name: 'SPEC_JOB',
      purpose: 'From the spec',
      trigger: 'Spec trigger',
      fields: [
        { name: 'userId', type: 'string (uuid)', required: true },
        { name: 'email', type: 'string (email)', required: true },
        { name: 'note', type: 'string', required: false },
      ],
      retries: 7,
      backoff: { type: 'fixed', delayMs: 250 },
      timeoutSeconds: 90,
      priority: 2,
      sideEffects: { database: true, triggers: ['WELCOME_EMAIL'], other: ['Uploads to S3'] },
    });
  });
});
