import { z } from 'zod';
import type { ApiRoute } from './route';
import { API_ROUTES } from './routes';
import { errorBody } from './schemas';

const schemaOf = (s: z.ZodType, io: 'input' | 'output'): Record<string, unknown> => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

const ERRORS: Record<string, string> = {
  '400': '请求有误（中文说明）',
  '401': '未登录或会话已过期',
  '403': '无权查看或操作，或 CSRF 校验失败',
  '404': '没有这一项，或无权查看',
  '429': '登录尝试过多',
};

/** The OpenAPI 3.1 document of /api/v1, generated from the routes' zod schemas. */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [id, route] of Object.entries(API_ROUTES) as Array<[string, ApiRoute]>) {
    const path = `/api/v1${route.path.replace(/:(\w+)/g, '{$1}')}`;
    const pathParameters = [...route.path.matchAll(/:(\w+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'integer' },
    }));
    const parameters = route.query
      ? Object.entries(schemaOf(route.query, 'input').properties as Record<string, Record<string, unknown>>).map(([name, schema]) => ({
          name,
          in: 'query',
          required: !route.query!.shape[name].safeParse(undefined).success,
          description: schema.description,
          schema,
        }))
      : undefined;
    const errors = Object.fromEntries(
      Object.entries(ERRORS)
        .filter(([code]) => code !== '401' || route.auth !== false)
        .filter(([code]) => code !== '403' || route.auth !== false)
        .filter(([code]) => code !== '404' || route.path.includes(':'))
        .filter(([code]) => code !== '429' || id === 'signIn' || id === 'signInTicket')
        .map(([code, description]) => [
          code,
          { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        ]),
    );
    paths[path] ??= {};
    paths[path][route.method] = {
      operationId: id,
      summary: route.summary,
      ...(route.auth === false ? { security: [] } : {}),
      ...(parameters || pathParameters.length > 0 ? { parameters: [...pathParameters, ...(parameters ?? [])] } : {}),
      ...(route.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(route.body, 'input') } } } }
        : route.upload
          ? { requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } } }
          : {}),
      responses: {
        [String(route.status)]: {
          description: route.status === 204 ? '完成' : route.status === 302 ? '跳转（Location）' : '成功',
          ...(route.response
            ? { content: { 'application/json': { schema: schemaOf(route.response, 'output') } } }
            : route.produces
              ? { content: { [route.produces]: { schema: { type: 'string', format: 'binary' } } } }
              : {}),
        },
        ...errors,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'kepubot 管理后台 API', version },
    servers: [{ url: '/' }],
    components: {
      schemas: { Error: schemaOf(errorBody, 'output') },
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'kepubot_session' },
        csrf: {
          type: 'apiKey',
          in: 'header',
          name: 'x-csrf-token',
          description: '写操作（POST/PUT/PATCH/DELETE）必需，取自 GET /api/v1/me',
        },
      },
    },
    security: [{ session: [], csrf: [] }],
    paths,
  };
}
