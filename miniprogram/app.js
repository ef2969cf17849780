const auth = require('./utils/auth')

App({
  globalData: {},

  onLaunch() {
    // Sign in early so the first page's requests find a session; failures are not shown here:
    // the first request that needs the session retries the sign-in and shows its message.
    if (!auth.getToken()) auth.login().catch(() => null)
  },
})
