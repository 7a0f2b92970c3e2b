// `keepers` (npx keepers … in a checkout; npm start = keepers start).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import pino from 'pino';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { App, defaultDbFile } from './app';
import { Db } from './db';
import { createPairingCode, listDevices, revokeDevice, PAIRING_CODE_TTL_MS } from './auth';
import { DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT, maxBodyBytesProblem, startServer } from './server';
import { createImportSink } from './records';
import { createProgressBar, importFile, ImportError, IMPORT_FORMATS, type ImportFormat } from '../shared/import';
import { getBanditState, getVersion } from './models';
import { configFile, discogsToken, enrichRecords } from './records';
import { POLICIES, choosePolicy, isPolicyName, policySetting, storeCounts } from './bandit';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const IMPORT_HELP = `  import FILE [--as-keepers] [--kind collection|wantlist] [--format ${IMPORT_FORMATS.join('|')}] [--user NAME]
                        import a Discogs collection CSV export, Discogs API JSON or the releases data dump
                        (resumable: run the same command again after an interruption)
                        --as-keepers: every imported record becomes a keeper label (warm start)
                        --kind puts every record in that list, even when the file names one (a CSV
                        export with a CollectionFolder column is otherwise the collection)
                        --format: skip detection
                        --user: only that user's lines (keepers-jsonl and pool lines in API JSON)
                        With --as-keepers the model then trains at once on the keepers (warm start).`;

const POLICY_HELP = `  policy show           the bandit policy batches run with, the default, and the choices
  policy set NAME       choose the policy for later batches (${POLICIES.join(', ')})`;

export const USAGE = `Usage: keepers <command> [options]     (in a checkout: npx keepers …)

  start                 build the extension (npx wxt build), then serve; prints the next steps
  serve                 serve the API at http://HOST:PORT/trpc (HOST 127.0.0.1, PORT 8787)
  pair                  print a one-time pairing code (valid ${PAIRING_CODE_TTL_MS / 60000} min) for the extension's options page
${IMPORT_HELP}
  train [--epochs N] [--seed N]
                        retrain from all labels; promoted only if not worse on held-out labels
  enrich [--limit N]    fill in genres/styles of records lacking them from the Discogs API (60 requests/min;
                        token from DISCOGS_TOKEN or "discogsToken" in ${configFile()})
  status                the database, what it holds and the active model version
${POLICY_HELP}
  devices list | devices revoke ID
  sim …                 the simulator (same options as npm run sim)

Environment: KEEPERS_DB (database file, default ${defaultDbFile()}), PORT, HOST,
KEEPERS_MAX_BODY_BYTES, LOG_LEVEL.`;

function fail(message: string): never {
  process.stderr.write(`keepers: ${message}\n`);
  process.exit(1);
}

async function serve(): Promise<void> {
  const dbFile = defaultDbFile();
  const app = await App.create({ dbFile, trainer: 'worker' });
  const port = process.env.PORT ? Number(process.env.PORT) : DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT must be a port number, got ${process.env.PORT}`);
  const maxBodyBytes = process.env.KEEPERS_MAX_BODY_BYTES ? Number(process.env.KEEPERS_MAX_BODY_BYTES) : DEFAULT_MAX_BODY_BYTES;
  const bodyProblem = maxBodyBytesProblem(maxBodyBytes);
  if (bodyProblem) fail(`KEEPERS_MAX_BODY_BYTES ${bodyProblem}, got ${process.env.KEEPERS_MAX_BODY_BYTES}`);
  const server = await startServer(app, { port, host: process.env.HOST ?? DEFAULT_HOST, maxBodyBytes }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') fail(`port ${port} is in use: is another keepers server running? Set PORT to use another one.`);
    throw err;
  });
  app.logger.info({ url: server.url, database: dbFile }, `Discogs Keepers backend listening on ${server.url} (database ${dbFile})`);
  const stop = async () => {
    app.logger.info('shutting down (waiting for a running training job)');
    await server.close();
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

async function start(): Promise<void> {
  process.stdout.write('Building the extension (npx wxt build)…\n');
  const code = await new Promise<number>((resolve) => {
    const child = spawn('npx', ['wxt', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
    child.on('exit', (c) => resolve(c ?? 1));
    child.on('error', () => resolve(1));
  });
  if (code !== 0) fail('the extension build failed (see above); fix it or run `npx keepers serve` to start only the backend.');
  await serve();
  process.stdout.write(
    [
      '',
      'Next steps:',
      `  1. Chrome: open chrome://extensions, turn on Developer mode, "Load unpacked" → ${path.join(REPO_ROOT, '.output', 'chrome-mv3')}`,
      '  2. In another terminal: npx keepers pair   (prints a one-time code)',
      "  3. Paste the code in the extension's options page (backend URL http://127.0.0.1:" + (process.env.PORT ?? DEFAULT_PORT) + ')',
      '  4. Import your Discogs collection export: npx keepers import ~/Downloads/<you>-collection-*.csv --as-keepers',
      '',
    ].join('\n'),
  );
}

async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await Db.open(defaultDbFile());
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function pair(): Promise<void> {
  const { code, expiresAt } = await withDb((db) => createPairingCode(db));
  process.stdout.write(`Pairing code for the extension's options page (one use, expires ${expiresAt}):\n${code}\n`);
}

async function devices(args: string[]): Promise<void> {
  const [sub, id] = args;
  if (sub === 'list' || sub === undefined) {
    const rows = await withDb((db) => listDevices(db));
    if (rows.length === 0) process.stdout.write('No devices paired yet: run `npx keepers pair`.\n');
    for (const d of rows) {
      process.stdout.write(`${d.id}\t${d.name}\tpaired ${d.createdAt}\tlast seen ${d.lastSeenAt ?? 'never'}${d.revokedAt ? `\tREVOKED ${d.revokedAt}` : ''}\n`);
    }
    return;
  }
  if (sub === 'revoke') {
    const deviceId = Number(id);
    if (!Number.isInteger(deviceId) || deviceId <= 0) fail('usage: keepers devices revoke DEVICE_ID (see keepers devices list)');
    const done = await withDb((db) => revokeDevice(db, deviceId));
    if (!done) fail(`no active device ${deviceId} (see keepers devices list)`);
    process.stdout.write(`Revoked device ${deviceId}: its token no longer works.\n`);
    return;
  }
  fail(`unknown devices command ${JSON.stringify(sub)}: use devices list or devices revoke ID`);
}

async function status(): Promise<void> {
  const dbFile = defaultDbFile();
  const setting = await withDb((db) => policySetting(db));
  const { counts, state } = await withDb(async (db) => ({ counts: await storeCounts(db), state: await getBanditState(db) }));
  process.stdout.write(
    [
      `database        ${dbFile}`,
      `records         ${counts.records}`,
      `labelled        ${counts.labelledRecords} (${counts.keeperRecords} keepers)`,
      `batches         ${counts.batches} selected, batch counter ${state.batchCount}`,
      `model version   ${state.activeVersion ?? 'none yet (created when the server first starts)'} (${counts.modelVersions} stored)`,
      `policy          ${setting.policy}${setting.chosenAt ? ` (chosen ${setting.chosenAt})` : ' (the default)'}`,
      `devices         ${counts.devices} paired`,
      '',
    ].join('\n'),
  );
}

async function policy(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  const [sub, name, ...extra] = positionals;
  if (values.help || sub === 'help') {
    process.stdout.write(`Usage: keepers policy show | keepers policy set NAME\n\n${POLICY_HELP}\n`);
    return;
  }
  if (sub === 'show' || sub === undefined) {
    const s = await withDb((db) => policySetting(db));
    process.stdout.write(
      [
        `policy: ${s.policy}${s.chosenAt ? ` (chosen ${s.chosenAt})` : ' (the default: not chosen)'}`,
        `default: ${s.defaultPolicy}`,
        '',
        ...s.available.map((p) => `${p.name === s.policy ? '*' : ' '} ${p.name.padEnd(10)} ${p.description}`),
        '',
      ].join('\n'),
    );
    return;
  }
  if (sub === 'set') {
    if (!name || extra.length > 0) fail(`usage: keepers policy set NAME (one of ${POLICIES.join(', ')})`);
    if (!isPolicyName(name)) fail(`unknown policy ${JSON.stringify(name)}: choose one of ${POLICIES.join(', ')} (keepers policy show describes them)`);
    const r = await withDb((db) => choosePolicy(db, name, { via: 'cli' }));
    process.stdout.write(
      r.previous === r.policy ? `Policy: ${r.policy} (unchanged; now your choice, not the default).\n` : `Policy: ${r.policy} (was ${r.previous}). The next batch runs it.\n`,
    );
    return;
  }
  fail(`unknown policy command ${JSON.stringify(sub)}: use policy show or policy set NAME`);
}

/** After an --as-keepers import: fit the default learner on the collection at once, in this process. */
async function warmStart(imported: number): Promise<void> {
  // autoTrain off: batches a running server has yet to train stay its job.
  const app = await App.create({ dbFile: defaultDbFile(), trainer: 'in-process', autoTrain: false, logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }) });
  try {
    if (imported === 0) {
      // Nothing new: train only if the active model has never been fitted (an earlier run stopped before it).
      const { version } = await app.models.get();
      if ((await getVersion(app.db, version))?.kind !== 'initial') return;
    }
    const r = await app.training.warmStart();
    if (!r.trained) {
      if (r.reason === 'seed-policy') {
        process.stdout.write('Policy seed learns only from labelled batches, as specified: no warm start. `npx keepers policy set neural-ts` to learn from the collection now.\n');
      }
      return;
    }
    process.stdout.write(
      `Warm start: model ${r.version} learnt from ${r.labels} labels (${r.imported} imported keepers) against ${r.unlabelled} unlabelled records in ${(r.ms / 1000).toFixed(1)} s; the server picks it up with its next request.\n`,
    );
    if (r.unlabelled === 0) {
      process.stdout.write(
        'No unlabelled records yet to contrast the keepers with, so it learnt from the keepers alone. Import records to choose from (a wantlist, the data dump) or browse Discogs with the extension; the next import or labelled batch refits it.\n',
      );
    }
  } finally {
    await app.close();
  }
}

async function importCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'as-keepers': { type: 'boolean' }, kind: { type: 'string' }, format: { type: 'string' }, user: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(`Usage: keepers import FILE [options]\n\n${IMPORT_HELP}\n`);
    return;
  }
  const file = positionals[0];
  if (!file || positionals.length > 1) fail('usage: keepers import FILE [--as-keepers] [--kind collection|wantlist] [--format FORMAT] [--user NAME]');
  const kind = values.kind;
  if (kind !== undefined && kind !== 'collection' && kind !== 'wantlist') fail(`--kind must be collection or wantlist, got ${kind}`);
  const format = values.format as ImportFormat | undefined;
  if (format !== undefined && !IMPORT_FORMATS.includes(format)) fail(`--format must be one of ${IMPORT_FORMATS.join(', ')}, got ${format}`);
  if (!existsSync(file)) fail(`cannot read ${file}: no such file`);
  const dbFile = defaultDbFile();
  const imported = await withDb(async (db): Promise<number | null> => {
    const sink = await createImportSink(db, file, { asKeepers: values['as-keepers'], kind, user: values.user, format });
    try {
      const result = await importFile(file, sink, { format, user: values.user, onProgress: createProgressBar(process.stderr, path.basename(file)) });
      await sink.finish('done', { format: result.format, problems: result.problemCount });
      // result.problems is capped at 1000 (plus an entry counting the rest): the count comes from problemCount.
      const shown = result.problems.slice(0, 20);
      for (const p of shown) process.stderr.write(`${p.file}:${p.line}: ${p.message}\n`);
      if (result.problemCount > shown.length) process.stderr.write(`… ${result.problemCount - shown.length} more problems\n`);
      const labels = values['as-keepers'] ? ' as keeper labels' : '';
      if (result.resumedFrom > 0 && result.resumedFrom === result.records) {
        process.stdout.write(`Already imported: all ${result.records} records of ${file} are in ${dbFile}; nothing to do.\n`);
        return 0;
      }
      process.stdout.write(
        `Imported ${result.records - result.resumedFrom} records${labels} from ${file} (${result.format}` +
          `${result.resumedFrom > 0 ? `, resumed after ${result.resumedFrom}` : ''}; ${result.problemCount} problem rows skipped) into ${dbFile}\n`,
      );
      return result.records - result.resumedFrom;
    } catch (err) {
      await sink.finish('failed');
      if (err instanceof ImportError) {
        process.stderr.write(`keepers: ${err.message}\nRecords committed before the error are kept; run the same command again to resume.\n`);
        return null;
      }
      throw err;
    }
  });
  if (imported === null) process.exit(1);
  if (values['as-keepers']) await warmStart(imported);
}

async function train(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { epochs: { type: 'string' }, seed: { type: 'string' } } });
  const epochs = values.epochs ? Number(values.epochs) : undefined;
  if (epochs !== undefined && (!Number.isInteger(epochs) || epochs < 1)) fail(`--epochs must be a positive whole number, got ${values.epochs}`);
  const seed = values.seed ? Number(values.seed) : undefined;
  // The result is printed below; the log only carries warnings unless LOG_LEVEL asks for more.
  const app = await App.create({ dbFile: defaultDbFile(), trainer: 'in-process', seed, logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }) });
  try {
    const r = await app.training.fullTrain({ epochs });
    const fmt = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(4));
    process.stdout.write(
      `Trained ${r.version} on ${r.trainSize} labels (held out ${r.holdoutSize}) in ${(r.ms / 1000).toFixed(1)} s: held-out log loss ${fmt(r.candidate.logLoss)}, AUC ${fmt(r.candidate.auc)}` +
        (r.incumbent ? ` (active ${r.previous}: log loss ${fmt(r.incumbent.logLoss)}, AUC ${fmt(r.incumbent.auc)})` : '') +
        `\n${
          r.promoted
            ? `Promoted: ${r.version} is now the active model.`
            : r.superseded
              ? `Not promoted: the active model changed while this one trained (a rollback or an online update wins); ${r.version} is kept, not active.`
              : `Not promoted (worse on held-out labels): ${r.previous} stays active; ${r.version} is kept as rejected.`
        }\n`,
    );
  } finally {
    await app.close();
  }
}

async function enrich(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { limit: { type: 'string' } } });
  const limit = values.limit ? Number(values.limit) : undefined;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) fail(`--limit must be a positive whole number, got ${values.limit}`);
  const token = discogsToken();
  if (!token) process.stderr.write(`No Discogs token (DISCOGS_TOKEN or discogsToken in ${configFile()}): Discogs allows 25 requests a minute without one.\n`);
  const result = await withDb((db) =>
    enrichRecords(db, {
      token,
      baseUrl: process.env.KEEPERS_DISCOGS_URL,
      limit,
      onProgress: (p) => process.stderr.write(`\renrich ${p.done}/${p.total} | ${p.enriched} enriched | ${p.failed} failed\u001b[K${p.done === p.total ? '\n' : ''}`),
    }),
  );
  for (const f of result.failed.slice(0, 20)) process.stderr.write(`release ${f.id}: ${f.message}\n`);
  process.stdout.write(`Enriched ${result.enriched} of ${result.candidates} records lacking genres or styles (${result.failed.length} failed).\n`);
}

function sim(args: string[]): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'shared', 'sim', 'cli.ts'), ...args], { cwd: process.cwd(), stdio: 'inherit' });
    child.on('exit', (code) => {
      process.exitCode = code ?? 1;
      resolve();
    });
  });
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return start();
    case 'serve':
      return serve();
    case 'pair':
      return pair();
    case 'import':
      return importCommand(rest);
    case 'train':
      return train(rest);
    case 'devices':
      return devices(rest);
    case 'enrich':
      return enrich(rest);
    case 'status':
      return status();
    case 'policy':
      return policy(rest);
    case 'sim':
      return sim(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      fail(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`keepers: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
