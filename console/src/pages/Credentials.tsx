export default function Credentials() {
  return <p>Coming soon.</p>;
}
