import { PageTitle } from '../ui';

export default function Live() {
  return <PageTitle>Live</PageTitle>;
}
