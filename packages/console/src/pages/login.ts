/**
 * The login form, shown when the cluster requires client authentication: SCRAM
 * (the SDK computes the proof in the browser with WebCrypto; the password never
 * leaves the page) or a token (OAUTHBEARER). What is typed stays in memory.
 */
import { describeError, fill, h } from '../dom.js'
import type { Login } from '../session.js'

export function loginPage(root: HTMLElement, message: string | undefined, submit: (login: Login) => Promise<void>): void {
  const mechanism = h('select', { id: 'login-mechanism', name: 'mechanism' },
    h('option', { value: 'scram-sha-256' }, 'SCRAM-SHA-256'),
    h('option', { value: 'scram-sha-512' }, 'SCRAM-SHA-512'),
    h('option', { value: 'oauthbearer' }, 'Token (OAUTHBEARER)'))
  const username = h('input', { id: 'login-username', name: 'username', autocomplete: 'username', required: true })
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password' })
  const token = h('input', { id: 'login-token', name: 'token', type: 'password', autocomplete: 'off' })
  const userFields = h('div', { class: 'row' }, h('label', { for: 'login-username' }, 'Username', username), h('label', { for: 'login-password' }, 'Password', password))
  const tokenFields = h('div', { class: 'row', hidden: true }, h('label', { for: 'login-token' }, 'Token', token))
  const status = h('div', { role: 'status' }, message ? h('p', { class: 'error' }, message) : null)
  const button = h('button', { type: 'submit' }, 'Sign in')
  mechanism.addEventListener('change', () => {
    const tokenMode = mechanism.value === 'oauthbearer'
    userFields.hidden = tokenMode
    tokenFields.hidden = !tokenMode
    username.required = !tokenMode
  })
  const form = h('form', { 'aria-label': 'Sign in', class: 'stacked' },
    h('label', { for: 'login-mechanism' }, 'Mechanism', mechanism), userFields, tokenFields, button, status)
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    const login: Login = mechanism.value === 'oauthbearer'
      ? { mechanism: 'oauthbearer', token: token.value }
      : { mechanism: mechanism.value as 'scram-sha-256' | 'scram-sha-512', username: username.value, password: password.value }
    button.disabled = true
    fill(status, h('p', { class: 'loading', 'aria-busy': 'true' }, 'Signing in…'))
    submit(login).then(
      () => { password.value = ''; token.value = '' },
      (err) => {
        button.disabled = false
        fill(status, h('p', { class: 'error' }, describeError(err)))
      },
    )
  })
  fill(root, h('h1', {}, 'Sign in'), h('p', { class: 'muted' }, 'This cluster requires client authentication. Credentials are kept in this tab\'s memory only.'), form)
  username.focus()
}
