export default function Repositories() {
  return <p>Coming soon.</p>;
}
