import { useState, type FormEvent } from 'react';
import { signIn } from '../session';
import { ErrorNote } from '../ui';

/** The password goes to the token service once; only the refresh token it answers is kept. */
export function SignIn() {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(undefined);
    try {
      await signIn(String(form.get('username') ?? ''), String(form.get('password') ?? ''));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <main id="main" className="signin">
      <h1>Sign in to Arca</h1>
      <form onSubmit={submit}>
        <label>
          Username
          <input name="username" autoComplete="username" required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        <ErrorNote error={error} />
      </form>
    </main>
  );
}
