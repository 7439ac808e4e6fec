// A scripted model on 127.0.0.1 speaking the OpenAI chat-completions protocol, for recording
// the hello-cycle fixtures and for the end-to-end tests: no key, no network, same answers every
// time. It knows which role it plays from the first line of the system prompt (`# Role: x`)
// and answers by scenario. Real models plug in the same way: see docs/agents.md.
import { createServer } from 'node:http';

export const TASK = 'Add a greet(name) function in src/greet.mjs, with a test';

const GREET = `/** A greeting for \`name\`; "Hello, world!" without one. */
export function greet(name) {
  return \`Hello, \${name || 'world'}!\`;
}
`;
const GREET_TEST = (expected) => `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { greet } from '../src/greet.mjs';

test('greet names the person', () => {
  assert.equal(greet('Ada'), '${expected}');
});

test('greet falls back to the world', () => {
  assert.equal(greet(''), 'Hello, world!');
});
`;

const DESIGN = {
  type: 'BUILD_PACKET',
  mission_name: 'add-greet',
  summary: 'Add greet(name) with a test',
  payload: {
    goal: 'src/greet.mjs exports greet(name), returning "Hello, <name>!", covered by a test',
    scope: { allowed_paths: ['src/**', 'test/**'] },
    changes: [
      { path: 'src/greet.mjs', description: 'the greet function' },
      { path: 'test/greet.test.mjs', description: 'its tests (node --test)' },
    ],
    acceptance: ['node --test passes', 'greet("Ada") is "Hello, Ada!"'],
  },
};

/** The mark of a backlog task the `backlog` scenario's council rejects. */
export const NEEDS_CEO = '[needs the CEO]';

/** What each scenario changes from the happy path. */
export const SCENARIOS = {
  happy: {},
  // The risk seat rejects the design: escalated to the CEO whatever the chair says.
  seat_reject: { seat: (seat) => (seat === 'risk' ? 'reject' : 'approve') },
  // The risk seat rejects the design only; the change itself it approves (a CEO override of the
  // design review then lets the cycle run to its commit).
  design_seat_reject: { seat: (seat, _n, input) => (seat === 'risk' && input.review_type === 'build_review' ? 'reject' : 'approve') },
  // The architect asks for fixes to the design, and again after the revision.
  fix_required_twice: { seat: (seat) => (seat === 'architect' ? 'fix_required' : 'approve') },
  // The architect asks for a fix once; the revised design is approved.
  fix_required_once: { seat: (seat, n) => (seat === 'architect' && n === 1 ? 'fix_required' : 'approve') },
  // The builder also rewrites the model mapping, a protected governance surface.
  protected_write: { extraFiles: [{ path: 'config/models.yaml', content: 'roles: {}\n' }] },
  // The builder's test expects the wrong greeting: the tests fail, and fail again on retry.
  failing_tests: { expected: 'Hi, Ada!' },
  // The builder also writes src/secret/leak.mjs: inside the design's scope, denied by a policy that denies src/secret/**.
  policy_denied: { extraFiles: [{ path: 'src/secret/leak.mjs', content: 'export const leaked = true;\n' }] },
  // A backlog whose task marked "[needs the CEO]" gets a design the risk seat rejects (the design
  // names the task; the change itself every seat approves): that task is parked, the others commit.
  backlog: {
    design: (input) => (JSON.stringify(input).includes(NEEDS_CEO) ? { ...DESIGN, summary: `${DESIGN.summary} ${NEEDS_CEO}` } : DESIGN),
    seat: (seat, _n, input) => (seat === 'risk' && input.review_type === 'build_review' && JSON.stringify(input).includes(NEEDS_CEO) ? 'reject' : 'approve'),
  },
  // The co-chair finds the chair's proposal unfaithful to the seats, in every review.
  cochair_fix: { cochair: () => 'fix_required' },
  // The designer answers in prose, twice (the call and its retry with the problems fed back):
  // the step escalates with nothing to approve; asked again, it answers well.
  design_invalid_twice: { invalidDesigner: (count) => count <= 2 },
  // The builder's test, when it runs, writes a CI workflow (denied by the envelope policy).
  test_writes_workflow: { extraFiles: [{ path: 'test/workflow.test.mjs', content: TEST_WRITING(["'.github/workflows/evil.yml'"], { mkdir: true }) }] },
  // The builder's test tries to write into $HOME and into an existing folder beside the repository.
  test_escapes: {
    extraFiles: [{ path: 'test/escape.test.mjs', content: TEST_WRITING(["join(homedir(), 'lifeos-sandbox-escape.txt')", "join('..', 'sibling', 'lifeos-sandbox-escape.txt')"]) }],
  },
};

/** A test file that, when it runs, writes each of `targets` (JavaScript expressions), making their folders first if `mkdir`. */
function TEST_WRITING(targets, { mkdir = false } = {}) {
  const writes = targets.map((target) => `${mkdir ? `  mkdirSync(dirname(${target}), { recursive: true });\n` : ''}  writeFileSync(${target}, 'written by a test\\n');`);
  return `import { test } from 'node:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

test('writes outside what it was asked to', () => {
${writes.join('\n')}
});
`;
}

function answer(role, input, scenario, count) {
  const plan = SCENARIOS[scenario];
  if (role === 'designer' && plan.invalidDesigner?.(count)) return 'I would start with a small module and a test; the details depend on the style of the project.';
  const design = plan.design ? plan.design(input) : DESIGN;
  if (role === 'designer') return input.type === 'REVISION_REQUEST' ? { ...design, summary: `${design.summary} (revised)` } : design;
  if (role.startsWith('reviewer_')) {
    const seat = role.slice('reviewer_'.length);
    const verdict = plan.seat ? plan.seat(seat, count, input) : 'approve';
    return {
      seat,
      verdict,
      rationale: verdict === 'approve' ? `The ${seat} seat finds the ${input.review_type === 'output_review' ? 'change' : 'design'} sound.` : `The ${seat} seat says ${verdict}.`,
      ...(verdict === 'fix_required' ? { conditions: ['name the module in the summary'] } : {}),
    };
  }
  if (role === 'council_chair') {
    const seats = (input.seat_outputs ?? []).map((o) => o.packet).filter(Boolean);
    const verdicts = seats.map((s) => s.verdict);
    const verdict = verdicts.includes('reject') ? 'escalated_to_ceo' : verdicts.includes('fix_required') ? 'fix_required' : 'approved';
    return { type: 'COUNCIL_APPROVAL_PACKET', verdict, rationale: `Seats: ${verdicts.join(', ')}.`, seat_verdicts: seats.map((s) => ({ seat: s.seat, verdict: s.verdict })) };
  }
  if (role === 'council_cochair') {
    const verdict = plan.cochair ? plan.cochair(input) : 'approve';
    return { seat: 'cochair', verdict, rationale: verdict === 'approve' ? "The chair's proposal follows the seats." : `The co-chair says ${verdict}.` };
  }
  if (role === 'builder') {
    return {
      type: 'BUILD_RESULT_PACKET',
      summary: 'Added greet and its tests',
      files: [
        { path: 'src/greet.mjs', content: GREET },
        { path: 'test/greet.test.mjs', content: GREET_TEST(plan.expected ?? 'Hello, Ada!') },
        ...(plan.extraFiles ?? []),
      ],
    };
  }
  return { error: `the scripted model has no answer for role ${role}` };
}

/**
 * Start the model; `scenario` is one of SCENARIOS. `onCall(role, count)` runs (and is awaited)
 * before each answer, while the call is in flight: tests use it to change things meanwhile.
 * Resolves to { url, calls, close }.
 */
export async function startScriptedModel(scenario = 'happy', { onCall } = {}) {
  if (!SCENARIOS[scenario]) throw new Error(`unknown scenario ${scenario} (known: ${Object.keys(SCENARIOS).join(', ')})`);
  const counts = new Map();
  const calls = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', async () => {
      const request = JSON.parse(body);
      const system = request.messages.find((m) => m.role === 'system')?.content ?? '';
      const role = /^# Role: (\S+)/m.exec(system)?.[1] ?? 'unknown';
      const count = (counts.get(role) ?? 0) + 1;
      counts.set(role, count);
      calls.push(role);
      await onCall?.(role, count);
      const input = JSON.parse(request.messages.find((m) => m.role === 'user')?.content ?? '{}');
      const content = JSON.stringify(answer(role, input, scenario, count));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: `scripted-${calls.length}`,
          object: 'chat.completion',
          created: 0,
          model: request.model,
          choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
          usage: { prompt_tokens: Math.ceil(system.length / 4), completion_tokens: Math.ceil(content.length / 4), total_tokens: 0 },
        }),
      );
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1`,
    calls,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
