// Lighthouse's performance audit (a mid-range phone: CPU slowed four times, a slow 4G network simulated) on
// the academy's pages, signed in, in Debian's Chromium. The server is yours to start on 127.0.0.1.
//
//   cd bench/lighthouse && npm install && node run.mjs http://127.0.0.1:5000 PASSWORD EMAIL PATH [PATH...] [--runs N]
//
// Prints one Markdown row per page: the median score, total blocking time and largest contentful paint of
// N runs (3 by default), and the page's element count.
import lighthouse from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';

const args = process.argv.slice(2);
const at = args.indexOf('--runs');
const runs = at >= 0 ? Number(args.splice(at, 2)[1]) : 3;
const [base, password, email, ...paths] = args;
const FLAGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

async function signIn() {
  const form = await fetch(`${base}/login`);
  const first = form.headers.get('set-cookie').split(';')[0];
  const token = (await form.text()).match(/name="csrf_token" value="([^"]+)"/)[1];
  const answer = await fetch(`${base}/login`, {
    method: 'POST', redirect: 'manual',
    headers: {'content-type': 'application/x-www-form-urlencoded', cookie: first},
    body: new URLSearchParams({csrf_token: token, email, password}),
  });
  if (answer.status !== 302) throw new Error(`signing in as ${email} answered ${answer.status}`);
  return answer.headers.get('set-cookie').split(';')[0];
}

const median = values => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
const chrome = await chromeLauncher.launch({chromePath: '/usr/bin/chromium', chromeFlags: FLAGS});
try {
  const cookie = await signIn();
  console.log(`| page | score | total blocking time, ms | largest contentful paint, ms | elements |`);
  console.log('|---|---|---|---|---|');
  for (const path of paths) {
    const results = [];
    // Lighthouse sometimes loses the trace of a load (NO_NAVSTART): such a run is repeated, three times at most.
    for (let i = 0, lost = 0; i < runs; ) {
      const {lhr} = await lighthouse(`${base}${path}`, {
        port: chrome.port, onlyCategories: ['performance'], extraHeaders: {Cookie: cookie}, logLevel: 'error',
      });
      if (lhr.finalDisplayedUrl.includes('/login')) throw new Error(`${path} sent Lighthouse to the sign-in page`);
      if (lhr.runtimeError && ++lost > 3) throw new Error(`${path}: ${lhr.runtimeError.message}`);
      if (!lhr.runtimeError) results.push(lhr), i++;
    }
    const audit = name => median(results.map(r => r.audits[name].numericValue ?? NaN));
    const score = median(results.map(r => r.categories.performance.score * 100));
    console.log(`| \`${path}\` | ${Math.round(score)} | ${Math.round(audit('total-blocking-time'))} | ` +
      `${Math.round(audit('largest-contentful-paint'))} | ${audit('dom-size').toLocaleString('en')} |`);
  }
} finally {
  await chrome.kill();
}
