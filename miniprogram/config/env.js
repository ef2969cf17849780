// The one place that says which backend the mini-program talks to.
//
// The environment follows the build WeChat is running: the developer build (DevTools, preview,
// real-device debugging) talks to `qiyun dev` on this machine; the trial (体验版) and release
// builds talk to production. Change a URL here, nowhere else.

/**
 * @typedef {'development' | 'production'} EnvName
 * @typedef {{ name: EnvName, origin: string, apiBase: string }} Env
 */

/** Origins without a trailing slash. */
const ORIGINS = {
  // `qiyun dev` serves on 127.0.0.1:8000 by default (app/cli/dev.py). For a phone on the
  // same network, run `qiyun dev --host 0.0.0.0` and put this machine's LAN address here.
  development: 'http://127.0.0.1:8000',
  // Set before uploading: the HTTPS origin registered as a "request 合法域名" in the
  // mini-program admin console (开发管理 → 开发设置 → 服务器域名).
  production: 'https://qiyun.example.com',
}

/** The mini-program API's versioned prefix (miniprogram_api/blueprint.py). */
const API_PREFIX = '/mp/v1'

/** wx.getAccountInfoSync().miniProgram.envVersion -> environment. */
const ENV_BY_VERSION = {
  develop: 'development',
  trial: 'production',
  release: 'production',
}

/**
 * The environment for an envVersion; an unknown one counts as production, so a real user is
 * never pointed at a developer's machine.
 * @param {string | undefined} envVersion
 * @returns {Env}
 */
function envFor(envVersion) {
  /** @type {EnvName} */
  const name = ENV_BY_VERSION[envVersion || ''] || 'production'
  const origin = ORIGINS[name]
  return { name, origin, apiBase: origin + API_PREFIX }
}

/**
 * The environment of the running build.
 * @returns {Env}
 */
function currentEnv() {
  let envVersion
  try {
    envVersion = wx.getAccountInfoSync().miniProgram.envVersion
  } catch (err) {
    envVersion = undefined // very old base library: treat as production
  }
  return envFor(envVersion)
}

module.exports = { API_PREFIX, ORIGINS, ENV_BY_VERSION, envFor, currentEnv }
