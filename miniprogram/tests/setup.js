// Globals the mini-program runtime provides but jest/miniprogram-simulate do not.
// Each test that needs `wx` installs its own mock (tests/helpers/wx.js).
global.getApp = () => ({ globalData: {} })
global.getCurrentPages = () => []
