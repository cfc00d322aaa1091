// Imported first by every entry point (`npm start`, `npm run start:dev`, the `switchboard` CLI,
// `npm test`): on a Node.js older than package.json's `engines` it stops with one line saying what
// to install, instead of failing later inside a dependency that needs the newer runtime. Written
// in syntax every Node.js since 12 parses, so the message is what an old runtime prints.
import { readFileSync } from 'node:fs';

const engines = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines;
const wanted = /^>=\s*(\d+)(?:\.(\d+))?/.exec(engines.node);
const min = [Number(wanted[1]), Number(wanted[2] || 0)];
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < min[0] || (major === min[0] && minor < min[1])) {
  process.stderr.write(
    `Switchboard needs Node.js ${min.join('.')} or newer; this is Node.js ${process.versions.node}.\n` +
      'Install Node.js 22 LTS or 24 (https://nodejs.org, or `nvm install` in this folder, which reads .nvmrc).\n',
  );
  process.exit(1);
}
