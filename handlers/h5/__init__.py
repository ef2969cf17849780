"""Web pages opened inside WeChat (H5): sign-in through WeChat OAuth and the page layout.

Later issues add their pages (policy detail, appeal detail, survey) with
`handlers.h5.pages.render_page` and read the signed-in follower with
`handlers.h5.session.current_openid`.
"""
